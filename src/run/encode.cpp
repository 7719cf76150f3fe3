#include "run/encode.hpp"

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

// One input's rows of the token table, before they are appended.
struct Encoded {
  std::string text;
  std::vector<int32_t> ids, types;
  std::vector<std::string> tokens;
  std::vector<int32_t> char_start, char_end;
  std::vector<uint8_t> special;
  size_t size() const { return ids.size(); }
  void truncate(size_t n) {
    ids.resize(n);
    if (!types.empty()) types.resize(n);
    tokens.resize(n);
    char_start.resize(n);
    char_end.resize(n);
    special.resize(n);
  }
};

int32_t code_points(const std::string& utf8) {
  int32_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

// A pair's text is stored as "first\nsecond"; offsets of the second segment (type 1) are shifted onto it.
Encoded encode_text(const Tokenizer& tokenizer, const InputItem& item) {
  const bool pair = !item.text_pair.empty();
  const Encoding e = pair ? tokenizer.encode_pair(item.text, item.text_pair) : tokenizer.encode(item.text);
  Encoded out;
  out.text = pair ? item.text + "\n" + item.text_pair : item.text;
  out.ids = e.ids;
  out.types = e.type_ids;
  out.special = e.special;
  const int32_t shift = pair ? code_points(item.text) + 1 : 0;
  for (size_t i = 0; i < e.ids.size(); ++i) {
    out.tokens.push_back(tokenizer.display(e.tokens[i]));
    const bool second = pair && !e.special[i] && e.type_ids[i] == 1;
    out.char_start.push_back(e.offsets[i].first + (second ? shift : 0));
    out.char_end.push_back(e.offsets[i].second + (second ? shift : 0));
  }
  return out;
}

Encoded encode_ids(const Tokenizer* tokenizer, const InputItem& item) {
  Encoded out;
  out.ids = item.input_ids;
  out.types = item.token_type_ids;
  for (int32_t id : item.input_ids) {
    const auto token = tokenizer ? tokenizer->id_to_token(id) : std::nullopt;
    out.tokens.push_back(token ? tokenizer->display(*token) : std::to_string(id));
  }
  out.char_start.assign(out.ids.size(), -1);
  out.char_end.assign(out.ids.size(), -1);
  out.special.assign(out.ids.size(), 0);
  return out;
}

void check_modality(const InputItem& item, const ModelConfig& config, const Tokenizer* tokenizer) {
  const bool image_model = config.modality == Modality::Image;
  if (image_model && item.kind != InputKind::Image)
    throw Error(item.origin + ": a text input, but " + config.model_type + " is an image model");
  if (!image_model && item.kind == InputKind::Image)
    throw Error(item.origin + ": an image input, but " + config.model_type + " is a text model");
  if (item.kind == InputKind::Text && !tokenizer)
    throw Error(item.origin +
                ": a text input, but the model folder has no tokenizer (tokenizer.json, "
                "vocab.json + merges.txt or vocab.txt); give input_ids instead");
  if (!item.text_pair.empty() && config.type_vocab_size < 2)
    throw Error(item.origin + ": \"text_pair\" needs a model with token types (BERT); " + config.model_type +
                " has none");
  if (!item.token_type_ids.empty() && config.type_vocab_size < 2)
    throw Error(item.origin + ": \"token_type_ids\" given, but " + config.model_type + " has no token types");
}

void check_ids(const Encoded& e, const InputItem& item, const ModelConfig& config) {
  if (e.size() == 0) throw Error(item.origin + ": the input has no tokens");
  for (size_t i = 0; i < e.size(); ++i)
    if (e.ids[i] < 0 || e.ids[i] >= config.vocab_size)
      throw Error(item.origin + ": token id " + std::to_string(e.ids[i]) + " (position " + std::to_string(i) +
                  ") is outside the model's vocabulary of " + std::to_string(config.vocab_size) + " tokens");
  for (size_t i = 0; i < e.types.size(); ++i)
    if (e.types[i] < 0 || e.types[i] >= std::max(config.type_vocab_size, 1))
      throw Error(item.origin + ": token type id " + std::to_string(e.types[i]) + " (position " +
                  std::to_string(i) + ") is outside the model's " + std::to_string(config.type_vocab_size) +
                  " token types");
}

void append_text(EncodedDataset& data, Encoded e) {
  TokenTable& t = data.tokens;
  const int32_t sequence = static_cast<int32_t>(data.sequences.size());
  RunSequence s;
  s.text = std::move(e.text);
  s.first_token = static_cast<int64_t>(t.size());
  s.token_count = static_cast<int64_t>(e.size());
  for (size_t i = 0; i < e.size(); ++i) {
    t.token.push_back(std::move(e.tokens[i]));
    t.token_id.push_back(e.ids[i]);
    t.sequence.push_back(sequence);
    t.position.push_back(static_cast<int32_t>(i));
    t.char_start.push_back(e.char_start[i]);
    t.char_end.push_back(e.char_end[i]);
    t.special.push_back(e.special[i]);
  }
  ModelInput input;
  input.input_ids = std::move(e.ids);
  input.token_type_ids = std::move(e.types);
  data.inputs.push_back(std::move(input));
  data.sequences.push_back(std::move(s));
}

int image_grid(const ModelConfig& config) { return config.image_size / config.patch_size; }

// Image tokens: the class token, then the patches row by row; token_id is the patch index.
void append_image(EncodedDataset& data, const InputItem& item, const ModelConfig& config) {
  std::error_code ec;
  if (!item.image.empty() && !fs::is_regular_file(item.image, ec))
    throw Error(item.origin + ": image " + item.image.string() + " does not exist");
  const int grid = image_grid(config);
  TokenTable& t = data.tokens;
  const int32_t sequence = static_cast<int32_t>(data.sequences.size());
  RunSequence s;
  if (!item.image.empty()) s.image = fs::absolute(item.image).lexically_normal().string();
  s.first_token = static_cast<int64_t>(t.size());
  s.token_count = 1 + grid * grid;
  s.grid_rows = s.grid_cols = grid;
  for (int i = 0; i < s.token_count; ++i) {
    const int patch = i - 1, row = i == 0 ? -1 : patch / grid, col = i == 0 ? -1 : patch % grid;
    t.token.push_back(i == 0 ? "[CLS]" : "(" + std::to_string(row) + "," + std::to_string(col) + ")");
    t.token_id.push_back(patch);
    t.sequence.push_back(sequence);
    t.position.push_back(i);
    t.patch_row.push_back(row);
    t.patch_col.push_back(col);
    t.special.push_back(i == 0);
  }
  data.inputs.emplace_back();
  data.images.push_back(item.image);
  data.sequences.push_back(std::move(s));
}

}  // namespace

std::optional<Tokenizer> load_tokenizer_if_any(const fs::path& model_dir) {
  for (const char* name : {"tokenizer.json", "vocab.json", "vocab.txt"})
    if (fs::exists(model_dir / name)) return Tokenizer::load(model_dir);
  return std::nullopt;
}

RunModel run_model(const ModelConfig& config) {
  RunModel m;
  m.model_type = config.model_type;
  m.modality = config.modality == Modality::Image ? "image" : "text";
  m.num_layers = config.num_layers;
  m.num_heads = config.num_heads;
  m.num_kv_heads = config.num_kv_heads;
  m.head_dim = config.head_dim;
  m.causal = config.causal;
  m.attention_scale = config.attention_scale;
  return m;
}

EncodedDataset encode_inputs(const InputSet& inputs, const ModelConfig& config, const Tokenizer* tokenizer,
                             const EncodeLimits& limits) {
  const int positions = config.max_positions - config.position_offset;
  const bool image_model = config.modality == Modality::Image;
  if (limits.max_length < 0) throw Error("the maximum length must be 0 (none) or more");
  if (limits.max_length > 0 && image_model)
    throw Error("a maximum length applies to text models; an image always has its patches and class token");
  if (limits.max_length > positions)
    throw Error("a maximum length of " + std::to_string(limits.max_length) +
                " tokens is more than the model's " + std::to_string(positions) + " positions");
  EncodedDataset data;
  int64_t total = 0;
  for (const InputItem& item : inputs.items) {
    check_modality(item, config, tokenizer);
    Encoded e;
    bool cut = false;
    if (!image_model) {
      e = item.kind == InputKind::Text ? encode_text(*tokenizer, item) : encode_ids(tokenizer, item);
      check_ids(e, item, config);
      const size_t limit = static_cast<size_t>(limits.max_length > 0 ? limits.max_length : positions);
      if (e.size() > limit) {
        if (limits.max_length == 0)
          throw Error(item.origin + ": " + std::to_string(e.size()) + " tokens, more than the model's " +
                      std::to_string(positions) + " positions (a maximum length cuts longer inputs)");
        e.truncate(limit);
        cut = true;
      }
    }
    const int64_t count =
        image_model ? 1 + image_grid(config) * image_grid(config) : static_cast<int64_t>(e.size());
    if (limits.max_tokens > 0 && total + count > limits.max_tokens) {
      if (data.sequences.empty())
        throw Error("a budget of " + std::to_string(limits.max_tokens) + " tokens is less than the " +
                    std::to_string(count) + " tokens of the first input, " + item.origin);
      break;
    }
    if (cut) {
      data.truncated.push_back(static_cast<int64_t>(data.sequences.size()));
      data.truncated_origins.push_back(item.origin);
    }
    if (image_model)
      append_image(data, item, config);
    else
      append_text(data, std::move(e));
    total += count;
  }
  return data;
}

EncodedDataset encode_probe(const InputItem& item, const ModelConfig& config, const Tokenizer* tokenizer,
                            int max_tokens) {
  const bool image_model = config.modality == Modality::Image;
  const int positions = config.max_positions - config.position_offset;
  return encode_inputs({"", "", {item}}, config, tokenizer,
                       {image_model ? 0 : std::min(positions, max_tokens), 0});
}

}  // namespace attnviz
