// config.json reading for every family, weight-name resolution, and the errors of bad configs, checkpoints
// and inputs.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "model/checkpoint.hpp"
#include "model/config.hpp"
#include "model/model.hpp"
#include "reference.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace attnviz {
namespace {

using test::error_of;

using test::source_dir;

std::filesystem::path fixture_model(const std::string& name) {
  return source_dir() / "tests/fixtures/hf" / name / "model";
}

std::filesystem::path config_dir(const std::string& name, const nlohmann::json& config) {
  const auto dir = test::fresh_dir(name);
  std::ofstream(dir / "config.json") << config.dump();
  return dir;
}

nlohmann::json llama_config() {
  return {{"model_type", "llama"},         {"num_hidden_layers", 2},
          {"num_attention_heads", 8},      {"hidden_size", 64},
          {"intermediate_size", 128},      {"vocab_size", 100},
          {"max_position_embeddings", 512}};
}

TEST(Config, ReadsTheFixtureConfigs) {
  const ModelConfig gpt2 = load_config(fixture_model("gpt2"));
  EXPECT_EQ(gpt2.num_layers, 2);
  EXPECT_EQ(gpt2.num_heads, 4);
  EXPECT_EQ(gpt2.num_kv_heads, 4);
  EXPECT_EQ(gpt2.head_dim, 16);
  EXPECT_EQ(gpt2.intermediate_size, 256);  // n_inner null: 4 · n_embd
  EXPECT_TRUE(gpt2.causal);
  EXPECT_FLOAT_EQ(gpt2.attention_scale, 0.25f);
  EXPECT_EQ(gpt2.activation, "gelu_new");
  EXPECT_EQ(gpt2.architecture, "GPT2LMHeadModel");

  const ModelConfig bert = load_config(fixture_model("bert"));
  EXPECT_FALSE(bert.causal);
  EXPECT_EQ(bert.type_vocab_size, 2);
  EXPECT_FLOAT_EQ(bert.norm_eps, 1e-12f);
  EXPECT_EQ(bert.modality, Modality::Text);

  const ModelConfig vit = load_config(fixture_model("vit"));
  EXPECT_EQ(vit.modality, Modality::Image);
  EXPECT_EQ(vit.image_size, 32);
  EXPECT_EQ(vit.patch_size, 8);
  EXPECT_EQ(vit.num_channels, 3);
  EXPECT_EQ(vit.max_positions, 17);  // 4 × 4 patches + the class token

  const ModelConfig llama = load_config(fixture_model("llama"));
  EXPECT_EQ(llama.num_kv_heads, 2);
  EXPECT_EQ(llama.head_dim, 16);
  EXPECT_FLOAT_EQ(llama.rope_theta, 10000.0f);  // from rope_parameters
  EXPECT_FLOAT_EQ(llama.norm_eps, 1e-6f);
  EXPECT_TRUE(llama.causal);
  EXPECT_FALSE(llama.attention_bias);
}

TEST(Config, UnknownModelTypeListsTheSupportedOnes) {
  const std::string e = error_of([] { load_config(config_dir("t5", {{"model_type", "t5"}})); });
  EXPECT_NE(e.find("'t5'"), std::string::npos) << e;
  for (const char* type : {"gpt2", "bert", "roberta", "vit", "llama", "mistral", "qwen2"})
    EXPECT_NE(e.find(type), std::string::npos) << e;
  EXPECT_NE(error_of([] { load_config(test::fresh_dir("empty")); }).find("config.json"), std::string::npos);
}

TEST(Config, LlamaFamilyDetails) {
  nlohmann::json c = llama_config();
  c["num_key_value_heads"] = 2;
  c["rope_theta"] = 500000.0;
  c["attention_bias"] = true;
  ModelConfig m = load_config(config_dir("llama", c));
  EXPECT_EQ(m.num_kv_heads, 2);
  EXPECT_EQ(m.head_dim, 8);  // hidden / heads
  EXPECT_FLOAT_EQ(m.rope_theta, 500000.0f);
  EXPECT_TRUE(m.attention_bias && m.output_bias);
  EXPECT_FLOAT_EQ(m.attention_scale, 1.0f / std::sqrt(8.0f));

  c["head_dim"] = 32;
  c["model_type"] = "qwen2";
  m = load_config(config_dir("qwen2", c));
  EXPECT_EQ(m.head_dim, 32);
  EXPECT_TRUE(m.attention_bias);  // Qwen2: q/k/v biases, no o_proj bias
  EXPECT_FALSE(m.output_bias);

  nlohmann::json mistral = llama_config();
  mistral["model_type"] = "mistral";
  mistral["sliding_window"] = 256;
  EXPECT_EQ(load_config(config_dir("mistral", mistral)).max_positions, 256);
  EXPECT_EQ(load_config(config_dir("llama-heads", llama_config())).num_kv_heads, 8);  // default: heads

  nlohmann::json scaled = llama_config();
  scaled["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 8.0}};  // more in test_rope_scaling.cpp
  EXPECT_NE(error_of([&] { load_config(config_dir("scaled", scaled)); }).find("rope_type 'yarn'"),
            std::string::npos);
  nlohmann::json uneven = llama_config();
  uneven["num_key_value_heads"] = 3;
  EXPECT_NE(error_of([&] { load_config(config_dir("uneven", uneven)); }).find("key/value heads"),
            std::string::npos);
  nlohmann::json missing = llama_config();
  missing.erase("hidden_size");
  EXPECT_NE(error_of([&] { load_config(config_dir("missing", missing)); }).find("'hidden_size'"),
            std::string::npos);
}

TEST(Config, Gpt2AndRobertaDetails) {
  std::ifstream in(fixture_model("gpt2") / "config.json");
  nlohmann::json gpt2 = nlohmann::json::parse(in);
  gpt2["scale_attn_weights"] = false;
  EXPECT_FLOAT_EQ(load_config(config_dir("gpt2-unscaled", gpt2)).attention_scale, 1.0f);
  gpt2["scale_attn_by_inverse_layer_idx"] = true;
  EXPECT_NE(error_of([&] { load_config(config_dir("gpt2-layer-scale", gpt2)); }).find("unsupported"),
            std::string::npos);

  std::ifstream bert_in(fixture_model("bert") / "config.json");
  nlohmann::json roberta = nlohmann::json::parse(bert_in);
  roberta["model_type"] = "roberta";
  roberta["pad_token_id"] = 1;
  EXPECT_EQ(load_config(config_dir("roberta", roberta)).position_offset, 2);
}

// A copy of a fixture checkpoint with its tensors changed by `edit` (name → tensor, in float32).
std::filesystem::path edited_checkpoint(const std::string& fixture, const std::string& name,
                                        const std::function<void(std::map<std::string, TensorToWrite>&,
                                                                 std::vector<std::vector<float>>&)>& edit) {
  const auto dir = test::fresh_dir(name);
  std::filesystem::copy_file(fixture_model(fixture) / "config.json", dir / "config.json");
  const auto file = SafetensorsFile::open(fixture_model(fixture) / "model.safetensors");
  std::vector<std::vector<float>> data;
  data.reserve(file->tensors().size() + 8);
  std::map<std::string, TensorToWrite> tensors;
  for (const TensorView& t : file->tensors()) {
    data.push_back(t.to_f32());
    tensors[t.name] = {t.name, DType::F32, t.shape, std::as_bytes(std::span(data.back()))};
  }
  edit(tensors, data);
  std::vector<TensorToWrite> list;
  for (auto& [_, t] : tensors) list.push_back(t);
  write_safetensors(dir / "model.safetensors", list);
  return dir;
}

TEST(Weights, MissingTensorIsNamed) {
  const auto dir = edited_checkpoint(
      "gpt2", "missing", [](auto& tensors, auto&) { tensors.erase("transformer.h.1.mlp.c_fc.weight"); });
  const std::string e = error_of([&] { load_model(dir); });
  EXPECT_NE(e.find("missing tensor 'transformer.h.1.mlp.c_fc.weight'"), std::string::npos) << e;
}

TEST(Weights, WrongShapeIsNamed) {
  const auto dir = edited_checkpoint("gpt2", "shape", [](auto& tensors, auto&) {
    tensors["transformer.h.0.attn.c_attn.weight"].shape = {192, 64};
  });
  const std::string e = error_of([&] { load_model(dir); });
  EXPECT_NE(e.find("'transformer.h.0.attn.c_attn.weight'"), std::string::npos) << e;
  EXPECT_NE(e.find("[192, 64]"), std::string::npos) << e;
  EXPECT_NE(e.find("[64, 192]"), std::string::npos) << e;
}

TEST(Weights, BaseModelNamesAndLegacyBuffersLoadAlike) {
  // GPT2Model checkpoints have no "transformer." prefix; old ones also store the attn.bias/masked_bias
  // buffers.
  const auto dir = edited_checkpoint("gpt2", "base", [](auto& tensors, auto& data) {
    std::map<std::string, TensorToWrite> renamed;
    for (auto& [name, t] : tensors) {
      t.name = name.substr(std::string("transformer.").size());
      renamed[t.name] = t;
    }
    data.emplace_back(64 * 64, 1.0f);
    renamed["h.0.attn.bias"] = {
        "h.0.attn.bias", DType::F32, {1, 1, 64, 64}, std::as_bytes(std::span(data.back()))};
    data.emplace_back(1, -1e4f);
    renamed["h.0.attn.masked_bias"] = {
        "h.0.attn.masked_bias", DType::F32, {}, std::as_bytes(std::span(data.back()))};
    tensors = renamed;
  });
  const test::Reference ref("hf/gpt2");
  const Capture capture = load_model(dir)->forward(ref.input(1), {.hidden = true});
  EXPECT_LE(test::max_abs_diff(capture.hidden, ref.floats("s1.hidden")), 1e-4f);
  EXPECT_LE(test::max_abs_diff(capture.layers[1].q, ref.floats("s1.l1.q")), 1e-4f);
}

TEST(Weights, CheckpointOfAnotherFamilyIsRefused) {
  const auto dir = test::fresh_dir("mismatch");
  std::filesystem::copy_file(fixture_model("gpt2") / "config.json", dir / "config.json");
  std::filesystem::copy_file(fixture_model("bert") / "model.safetensors", dir / "model.safetensors");
  EXPECT_NE(error_of([&] { load_model(dir); }).find("not a checkpoint of this model type"),
            std::string::npos);
}

TEST(Weights, LlamaVariantsLoadTheSameBlock) {
  // The LLaMA fixture rewritten as one file, as Qwen2 (with q/k/v biases, here zero), as Mistral, and with
  // tied embeddings (no lm_head): all must reproduce the LLaMA reference.
  const Checkpoint sharded = Checkpoint::open(fixture_model("llama"));
  std::vector<std::vector<float>> data;
  std::vector<TensorToWrite> tensors;
  data.reserve(64);
  for (const std::string& name : sharded.names()) {
    if (name == "lm_head.weight") continue;
    data.push_back(sharded.at(name).to_f32());
    tensors.push_back({name, DType::F32, sharded.at(name).shape, std::as_bytes(std::span(data.back()))});
  }
  for (int l = 0; l < 2; ++l)
    for (const auto& [proj, size] : {std::pair{"q_proj", 64}, {"k_proj", 32}, {"v_proj", 32}}) {
      data.emplace_back(size, 0.0f);
      const std::string name = "model.layers." + std::to_string(l) + ".self_attn." + proj + ".bias";
      tensors.push_back({name, DType::F32, {size}, std::as_bytes(std::span(data.back()))});
    }
  std::ifstream in(fixture_model("llama") / "config.json");
  const nlohmann::json llama = nlohmann::json::parse(in);
  const test::Reference ref("hf/llama");
  for (const char* type : {"qwen2", "mistral", "llama"}) {
    nlohmann::json config = llama;
    config["model_type"] = type;
    config["tie_word_embeddings"] = true;
    const auto dir = config_dir(std::string("variant-") + type, config);
    write_safetensors(dir / "model.safetensors", tensors);
    const Capture capture = load_model(dir)->forward(ref.input(1), {.attention = true, .hidden = true});
    EXPECT_LE(test::max_abs_diff(capture.layers[1].k, ref.floats("s1.l1.k")), 1e-4f) << type;
    EXPECT_LE(test::max_abs_diff(capture.layers[1].attn, ref.floats("s1.l1.attn")), 1e-4f) << type;
    EXPECT_LE(test::max_abs_diff(capture.hidden, ref.floats("s1.hidden")), 1e-4f) << type;
  }
}

ModelInput text(std::vector<int32_t> ids, std::vector<int32_t> types = {}) {
  ModelInput input;
  input.input_ids = std::move(ids);
  input.token_type_ids = std::move(types);
  return input;
}

TEST(Inputs, BadInputsAreClearErrors) {
  const auto gpt2 = load_model(fixture_model("gpt2"));
  EXPECT_NE(error_of([&] { gpt2->forward({}); }).find("no tokens"), std::string::npos);
  EXPECT_NE(error_of([&] {
              gpt2->forward(text({1, 1000}));
            }).find("token id 1000 at position 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { gpt2->forward(text({-1})); }).find("token id -1"), std::string::npos);
  EXPECT_NE(error_of([&] { gpt2->forward(text(std::vector<int32_t>(65, 3))); }).find("64 positions"),
            std::string::npos);
  const std::vector<ModelInput> batch{text({1, 2}), text({5000})};
  EXPECT_NE(error_of([&] { gpt2->forward_batch(batch); }).find("sequence 1"), std::string::npos);

  const auto bert = load_model(fixture_model("bert"));
  EXPECT_NE(error_of([&] {
              bert->forward(text({1, 2}, {0, 2}));
            }).find("token type id 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] { bert->forward(text({1, 2}, {0})); }).find("token type ids"), std::string::npos);

  const auto vit = load_model(fixture_model("vit"));
  EXPECT_EQ(vit->sequence_length({}), 17);
  EXPECT_NE(error_of([&] {
              vit->forward(ModelInput{{}, {}, std::vector<float>(10)});
            }).find("pixel values"),
            std::string::npos);
}

}  // namespace
}  // namespace attnviz
