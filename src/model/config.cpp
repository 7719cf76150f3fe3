// config.json → ModelConfig: one reader per model family, each naming the keys Hugging Face uses.
#include "model/config.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "core/error.hpp"
#include "core/json.hpp"

namespace attnviz {
namespace {

using nlohmann::json;

// Typed access to config.json keys (or those of an object inside it), with errors that name the file and the
// key.
class ConfigReader {
 public:
  ConfigReader(const json& raw, std::filesystem::path path, std::string prefix = "")
      : raw_(raw), path_(std::move(path)), prefix_(std::move(prefix)) {}

  bool has(const char* key) const { return raw_.contains(key) && !raw_[key].is_null(); }

  int positive_int(const char* key) const {
    if (!has(key)) fail("missing " + name(key));
    return positive(key, raw_[key]);
  }
  int positive_int(const char* key, int fallback) const {
    return has(key) ? positive(key, raw_[key]) : fallback;
  }

  float number(const char* key, float fallback) const {
    if (!has(key)) return fallback;
    if (!raw_[key].is_number()) fail(name(key) + " must be a number");
    const double value =
        raw_[key].get<double>();  // float32 cannot hold every double: checked, not cast blindly
    if (!(std::abs(value) <= std::numeric_limits<float>::max())) fail(name(key) + " is out of range");
    return float(value);
  }

  // A number > 0, required.
  float positive_number(const char* key) const {
    if (!has(key)) fail("missing " + name(key));
    const float value = number(key, 0.0f);
    if (!(value > 0.0f)) fail(name(key) + " must be a positive number");
    return value;
  }

  // The object at `key`, read with the same checks (its keys named "key.inner" in errors).
  ConfigReader object(const char* key) const {
    if (!raw_[key].is_object()) fail(name(key) + " must be an object");
    return ConfigReader(raw_[key], path_, prefix_ + key + ".");
  }

  bool boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!raw_[key].is_boolean()) fail(name(key) + " must be true or false");
    return raw_[key].get<bool>();
  }

  std::string string(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!raw_[key].is_string()) fail(name(key) + " must be a string");
    return raw_[key].get<std::string>();
  }

  [[noreturn]] void fail(const std::string& message) const { throw Error(path_.string() + ": " + message); }

  const json& raw() const { return raw_; }

 private:
  std::string name(const char* key) const { return "'" + prefix_ + key + "'"; }

  // At most 2^28: sizes multiplied together (4 · n_embd, patches²) stay within int.
  int positive(const char* key, const json& value) const {
    if (!value.is_number_integer() || value.get<int64_t>() <= 0 || value.get<int64_t>() > (1 << 28))
      fail(name(key) + " must be a positive integer (at most 2^28)");
    return value.get<int>();
  }

  const json& raw_;
  std::filesystem::path path_;
  std::string prefix_;  // "rope_scaling." inside that object
};

void check_heads(const ConfigReader& r, ModelConfig& c) {
  if (c.hidden_size % c.num_heads != 0)
    r.fail("hidden size " + std::to_string(c.hidden_size) + " is not divisible by " +
           std::to_string(c.num_heads) + " attention heads");
  c.head_dim = c.hidden_size / c.num_heads;
  c.num_kv_heads = c.num_heads;
}

void read_gpt2(const ConfigReader& r, ModelConfig& c) {
  c.num_layers = r.positive_int("n_layer");
  c.num_heads = r.positive_int("n_head");
  c.hidden_size = r.positive_int("n_embd");
  c.intermediate_size = r.positive_int("n_inner", 4 * c.hidden_size);
  c.vocab_size = r.positive_int("vocab_size");
  c.max_positions = r.positive_int("n_positions");
  c.norm_eps = r.number("layer_norm_epsilon", 1e-5f);
  c.activation = r.string("activation_function", "gelu_new");
  c.causal = true;
  c.tie_word_embeddings = true;
  check_heads(r, c);
  // Per-layer scales cannot be described by the one attention scale of a run (docs/format.md, manifest.json).
  if (r.boolean("scale_attn_by_inverse_layer_idx", false))
    r.fail(
        "scale_attn_by_inverse_layer_idx = true is unsupported (the attention scale would differ per layer)");
  c.attention_scale = r.boolean("scale_attn_weights", true) ? 1.0f / std::sqrt(float(c.head_dim)) : 1.0f;
}

void read_bert_like(const ConfigReader& r, ModelConfig& c) {
  c.num_layers = r.positive_int("num_hidden_layers");
  c.num_heads = r.positive_int("num_attention_heads");
  c.hidden_size = r.positive_int("hidden_size");
  c.intermediate_size = r.positive_int("intermediate_size");
  c.norm_eps = r.number("layer_norm_eps", 1e-12f);
  c.activation = r.string("hidden_act", "gelu");
  check_heads(r, c);
  c.attention_scale = 1.0f / std::sqrt(float(c.head_dim));
}

void read_bert(const ConfigReader& r, ModelConfig& c) {
  read_bert_like(r, c);
  c.vocab_size = r.positive_int("vocab_size");
  c.max_positions = r.positive_int("max_position_embeddings");
  c.type_vocab_size = r.positive_int("type_vocab_size", 2);
  const std::string position_type = r.string("position_embedding_type", "absolute");
  if (position_type != "absolute") r.fail("position_embedding_type '" + position_type + "' is unsupported");
  if (r.boolean("is_decoder", false)) r.fail("BERT as a decoder (is_decoder = true) is unsupported");
  if (c.model_type == "roberta") {
    // RoBERTa numbers positions from padding_idx + 1, so that many rows of the table are never used.
    if (!r.raw().contains("pad_token_id") || !r.raw()["pad_token_id"].is_number_integer())
      r.fail("RoBERTa needs an integer 'pad_token_id'");
    const int64_t pad_token_id = r.raw()["pad_token_id"].get<int64_t>();
    if (pad_token_id < 0 || pad_token_id >= c.max_positions - 1) r.fail("'pad_token_id' is out of range");
    c.position_offset = int(pad_token_id + 1);
  }
}

void read_vit(const ConfigReader& r, ModelConfig& c) {
  read_bert_like(r, c);
  c.modality = Modality::Image;
  c.image_size = r.positive_int("image_size");
  c.patch_size = r.positive_int("patch_size");
  c.num_channels = r.positive_int("num_channels", 3);
  c.qkv_bias = r.boolean("qkv_bias", true);
  if (c.image_size % c.patch_size != 0)
    r.fail("image_size " + std::to_string(c.image_size) + " is not a multiple of patch_size " +
           std::to_string(c.patch_size));
  const int64_t grid = c.image_size / c.patch_size;
  if (grid * grid + 1 > (1 << 28)) r.fail("image_size / patch_size gives too many patches");
  c.max_positions = int(grid * grid + 1);
}

// The scaling of a rope_type: transformers' required keys, each checked.
ops::RopeScaling read_rope_scaling(const ConfigReader& p, const std::string& type) {
  using Type = ops::RopeScaling::Type;
  if (type == "linear") return {.type = Type::Linear, .factor = p.positive_number("factor")};
  if (type != "llama3")
    p.fail("rope_type '" + type + "' is unsupported (supported: default, linear, llama3)");
  const ops::RopeScaling s{.type = Type::Llama3,
                           .factor = p.positive_number("factor"),
                           .low_freq_factor = p.positive_number("low_freq_factor"),
                           .high_freq_factor = p.positive_number("high_freq_factor"),
                           .original_positions = p.positive_int("original_max_position_embeddings")};
  if (!(s.low_freq_factor < s.high_freq_factor))
    p.fail("'low_freq_factor' must be less than 'high_freq_factor' (the band between them is interpolated)");
  return s;
}

// The rotary embedding's θ and scaling. transformers' newer spelling holds both in "rope_parameters"; older
// configs (Llama 3.1 and 3.2 as published) have "rope_theta" and "rope_scaling" at the top level. When both
// spellings are present, rope_parameters is the one transformers reads.
void read_rope(const ConfigReader& r, ModelConfig& c) {
  c.rope_theta = r.has("rope_theta") ? r.positive_number("rope_theta") : 10000.0f;
  const char* key = r.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
  if (!r.has(key)) return;
  const ConfigReader p = r.object(key);
  if (p.has("rope_theta")) c.rope_theta = p.positive_number("rope_theta");
  if (p.number("partial_rotary_factor", 1.0f) != 1.0f)
    p.fail("partial_rotary_factor other than 1 is unsupported");
  // "type" is the older name of "rope_type".
  const std::string type = p.string(p.has("rope_type") || !p.has("type") ? "rope_type" : "type", "default");
  if (type != "default") c.rope_scaling = read_rope_scaling(p, type);
}

void read_llama(const ConfigReader& r, ModelConfig& c) {
  c.num_layers = r.positive_int("num_hidden_layers");
  c.num_heads = r.positive_int("num_attention_heads");
  c.hidden_size = r.positive_int("hidden_size");
  c.intermediate_size = r.positive_int("intermediate_size");
  c.vocab_size = r.positive_int("vocab_size");
  c.max_positions = r.positive_int("max_position_embeddings");
  c.num_kv_heads = r.positive_int("num_key_value_heads", c.num_heads);
  c.norm_eps = r.number("rms_norm_eps", 1e-6f);
  c.activation = r.string("hidden_act", "silu");
  c.causal = true;
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  read_rope(r, c);
  if (c.num_heads % c.num_kv_heads != 0)
    r.fail(std::to_string(c.num_heads) + " attention heads are not a multiple of " +
           std::to_string(c.num_kv_heads) + " key/value heads");
  if (r.has("head_dim")) {
    c.head_dim = r.positive_int("head_dim");
  } else {
    if (c.hidden_size % c.num_heads != 0) r.fail("hidden_size is not divisible by num_attention_heads");
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim % 2 != 0) r.fail("head_dim must be even for rotary embeddings");
  if (r.number("partial_rotary_factor", 1.0f) != 1.0f)
    r.fail("partial_rotary_factor other than 1 is unsupported");
  if (c.model_type == "qwen2") {
    c.attention_bias = true;  // Qwen2: q, k and v projections have biases, o_proj has none
  } else {
    c.attention_bias = c.output_bias = r.boolean("attention_bias", false);
    c.mlp_bias = r.boolean("mlp_bias", false);
  }
  // A sliding window shorter than the sequence would change the attention; keep sequences within it.
  const bool window_used = c.model_type == "mistral" || r.boolean("use_sliding_window", false);
  if (window_used && r.has("sliding_window"))
    c.max_positions = std::min(c.max_positions, r.positive_int("sliding_window"));
  // The rotary table holds every position the model will run (Llama 3.x declares 131,072: 67 MB of cos/sin at
  // head_dim 128, and a hostile config up to the size cap far more); longer sequences are refused.
  c.max_positions = std::min(c.max_positions, kMaxRotaryPositions);
  c.attention_scale = 1.0f / std::sqrt(float(c.head_dim));
}

const std::map<std::string, std::function<void(const ConfigReader&, ModelConfig&)>>& readers() {
  static const std::map<std::string, std::function<void(const ConfigReader&, ModelConfig&)>> table = {
      {"gpt2", read_gpt2},   {"bert", read_bert},     {"roberta", read_bert}, {"vit", read_vit},
      {"llama", read_llama}, {"mistral", read_llama}, {"qwen2", read_llama},
  };
  return table;
}

}  // namespace

ModelConfig parse_config(nlohmann::json raw, const std::filesystem::path& path) {
  ModelConfig c;
  c.raw = std::move(raw);
  ConfigReader r(c.raw, path);
  if (!c.raw.is_object()) r.fail("expected a JSON object");
  c.model_type = r.string("model_type", "");
  const auto reader = readers().find(c.model_type);
  if (reader == readers().end()) {
    std::string supported;
    for (const auto& [name, _] : readers()) supported += (supported.empty() ? "" : ", ") + name;
    r.fail("unsupported model_type '" + c.model_type + "' (supported: " + supported + ")");
  }
  if (c.raw.contains("architectures") && c.raw["architectures"].is_array() &&
      !c.raw["architectures"].empty() && c.raw["architectures"][0].is_string())
    c.architecture = c.raw["architectures"][0].get<std::string>();
  reader->second(r, c);
  if (!(c.norm_eps > 0.0f)) r.fail("the normalisation epsilon must be positive");
  return c;
}

ModelConfig load_config(const std::filesystem::path& model_dir) {
  const std::filesystem::path path = model_dir / "config.json";
  if (!std::filesystem::exists(path)) throw Error("no config.json in " + model_dir.string());
  return parse_config(read_json_file(path), path);
}

}  // namespace attnviz
