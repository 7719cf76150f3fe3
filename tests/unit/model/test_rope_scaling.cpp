// Rotary embeddings scaled to longer contexts (rope_type linear and llama3): the published Llama 3.1 and 3.2
// configs read to the right fields in both of transformers' spellings, malformed scalings refused by name,
// the frequencies checked against the published formula in long double arithmetic (and its exact limits), and
// a tiny Llama checkpoint whose config carries llama3 scaling, end to end: its layer-0 q and k are the
// fixture's pre-RoPE q and k rotated by the scaled angles.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numbers>

#include "model/config.hpp"
#include "model/model.hpp"
#include "model/ops.hpp"
#include "reference.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace attnviz {
namespace {

using nlohmann::json;
using test::error_of;
using Type = ops::RopeScaling::Type;

// meta-llama/Llama-3.2-1B's config.json as published.
const char* const kLlama32_1B = R"({
  "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048,
  "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 131072, "mlp_bias": false,
  "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
  "pretraining_tp": 1, "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
  "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256})";

// meta-llama/Llama-3.1-8B's config.json as published.
const char* const kLlama31_8B = R"({
  "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096,
  "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 131072, "mlp_bias": false,
  "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
  "pretraining_tp": 1, "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "transformers_version": "4.43.0.dev0", "use_cache": true, "vocab_size": 128256})";

std::filesystem::path config_dir(const std::string& name, const json& config) {
  const auto dir = test::fresh_dir(name);
  std::ofstream(dir / "config.json") << config.dump();
  return dir;
}

ModelConfig read(const std::string& name, const json& config) {
  return load_config(config_dir(name, config));
}

// transformers' newer spelling of the same config: θ and the scaling together in rope_parameters.
json as_rope_parameters(json config) {
  json parameters = config["rope_scaling"];
  parameters["rope_theta"] = config["rope_theta"];
  config.erase("rope_scaling");
  config.erase("rope_theta");
  config["rope_parameters"] = parameters;
  return config;
}

TEST(RopeScaling, PublishedLlama3ConfigsRead) {
  for (const json& config : {json::parse(kLlama32_1B), as_rope_parameters(json::parse(kLlama32_1B))}) {
    const ModelConfig c = read("llama-3.2-1b", config);
    EXPECT_EQ(c.num_layers, 16);
    EXPECT_EQ(c.num_heads, 32);
    EXPECT_EQ(c.num_kv_heads, 8);
    EXPECT_EQ(c.head_dim, 64);
    EXPECT_EQ(c.max_positions, kMaxRotaryPositions);  // 131,072 declared; the rotary table is capped
    EXPECT_TRUE(c.tie_word_embeddings);
    EXPECT_EQ(c.rope_theta, 500000.0f);
    EXPECT_EQ(c.rope_scaling.type, Type::Llama3);
    EXPECT_EQ(c.rope_scaling.factor, 32.0f);
    EXPECT_EQ(c.rope_scaling.low_freq_factor, 1.0f);
    EXPECT_EQ(c.rope_scaling.high_freq_factor, 4.0f);
    EXPECT_EQ(c.rope_scaling.original_positions, 8192);
  }
  for (const json& config : {json::parse(kLlama31_8B), as_rope_parameters(json::parse(kLlama31_8B))}) {
    const ModelConfig c = read("llama-3.1-8b", config);
    EXPECT_EQ(c.num_layers, 32);
    EXPECT_EQ(c.head_dim, 128);  // hidden / heads: the config has no head_dim
    EXPECT_EQ(c.intermediate_size, 14336);
    EXPECT_FALSE(c.tie_word_embeddings);
    EXPECT_EQ(c.rope_theta, 500000.0f);
    EXPECT_EQ(c.rope_scaling.type, Type::Llama3);
    EXPECT_EQ(c.rope_scaling.factor, 8.0f);
    EXPECT_EQ(c.rope_scaling.original_positions, 8192);
  }
}

TEST(RopeScaling, LinearAndDefaultRead) {
  json linear = json::parse(kLlama31_8B);
  linear["rope_scaling"] = {{"type", "linear"}, {"factor", 2}};  // "type": the older name of rope_type
  ModelConfig c = read("linear", linear);
  EXPECT_EQ(c.rope_scaling.type, Type::Linear);
  EXPECT_EQ(c.rope_scaling.factor, 2.0f);
  c = read("linear-parameters", as_rope_parameters(linear));
  EXPECT_EQ(c.rope_scaling.type, Type::Linear);

  json plain = json::parse(kLlama31_8B);
  plain["rope_scaling"] = nullptr;
  EXPECT_EQ(read("plain", plain).rope_scaling.type, Type::None);
  plain["rope_scaling"] = {{"rope_type", "default"}};
  EXPECT_EQ(read("default", plain).rope_scaling.type, Type::None);
}

TEST(RopeScaling, MalformedScalingsAreRefusedByName) {
  const json base = json::parse(kLlama32_1B);
  // (a change to rope_scaling, the words the error must contain)
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"rope_type", "yarn"}, {"factor", 4.0}}, "rope_type 'yarn' is unsupported"},
      {{{"rope_type", "dynamic"}, {"factor", 4.0}}, "rope_type 'dynamic' is unsupported"},
      {{{"rope_type", "longrope"}}, "rope_type 'longrope' is unsupported"},
      {{{"rope_type", 3}}, "'rope_scaling.rope_type' must be a string"},
      {{{"factor", nullptr}}, "missing 'rope_scaling.factor'"},
      {{{"factor", "32"}}, "'rope_scaling.factor' must be a number"},
      {{{"factor", 0.0}}, "'rope_scaling.factor' must be a positive number"},
      {{{"factor", -8.0}}, "'rope_scaling.factor' must be a positive number"},
      {{{"factor", 1e300}}, "'rope_scaling.factor' is out of range"},  // beyond float32
      {{{"low_freq_factor", 4.0}}, "'low_freq_factor' must be less than 'high_freq_factor'"},
      {{{"low_freq_factor", 8.0}}, "'low_freq_factor' must be less than 'high_freq_factor'"},
      {{{"low_freq_factor", 0.0}}, "'rope_scaling.low_freq_factor' must be a positive number"},
      {{{"high_freq_factor", nullptr}}, "missing 'rope_scaling.high_freq_factor'"},
      {{{"original_max_position_embeddings", 8192.5}},
       "'rope_scaling.original_max_position_embeddings' must be a positive integer"},
      {{{"original_max_position_embeddings", 0}},
       "'rope_scaling.original_max_position_embeddings' must be a positive integer"},
  };
  for (const auto& [change, expected] : cases) {
    json config = base;
    config["rope_scaling"].update(change);
    const std::string e = error_of([&] { read("bad", config); });
    EXPECT_NE(e.find(expected), std::string::npos) << change.dump() << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  json not_object = base;
  not_object["rope_scaling"] = "llama3";
  EXPECT_NE(error_of([&] { read("bad", not_object); }).find("'rope_scaling' must be an object"),
            std::string::npos);
  json linear_without_factor = base;
  linear_without_factor["rope_scaling"] = {{"rope_type", "linear"}};
  EXPECT_NE(error_of([&] { read("bad", linear_without_factor); }).find("missing 'rope_scaling.factor'"),
            std::string::npos);
  // The newer spelling names its own object.
  json parameters = as_rope_parameters(base);
  parameters["rope_parameters"]["factor"] = -1;
  EXPECT_NE(error_of([&] { read("bad", parameters); }).find("'rope_parameters.factor' must be a positive"),
            std::string::npos);
  parameters = as_rope_parameters(base);
  parameters["rope_parameters"]["rope_theta"] = 0;
  EXPECT_NE(error_of([&] { read("bad", parameters); }).find("'rope_parameters.rope_theta'"),
            std::string::npos);
}

// The published llama3 formula in long double: transformers' _compute_llama3_parameters as documented.
std::vector<long double> llama3_inv_freq(int head_dim, long double theta, const ops::RopeScaling& s) {
  std::vector<long double> out;
  for (int i = 0; i < head_dim / 2; ++i) {
    const long double f = 1.0L / std::pow(theta, 2.0L * i / head_dim);
    const long double wavelength = 2.0L * std::numbers::pi_v<long double> / f;
    const long double long_end = (long double)s.original_positions / s.low_freq_factor;
    const long double short_end = (long double)s.original_positions / s.high_freq_factor;
    if (wavelength < short_end) {
      out.push_back(f);
    } else if (wavelength > long_end) {
      out.push_back(f / s.factor);
    } else {
      const long double smooth =
          (s.original_positions / wavelength - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      out.push_back((1.0L - smooth) * f / s.factor + smooth * f);
    }
  }
  return out;
}

TEST(RopeScaling, Llama3FrequenciesFollowThePublishedFormula) {
  for (const char* text : {kLlama32_1B, kLlama31_8B}) {
    const ModelConfig c = read("llama3", json::parse(text));
    const ops::RopeScaling& s = c.rope_scaling;
    const std::vector<float> scaled = ops::rope_inv_freq(c.head_dim, c.rope_theta, s);
    const std::vector<float> plain = ops::rope_inv_freq(c.head_dim, c.rope_theta, {});
    const std::vector<long double> expected = llama3_inv_freq(c.head_dim, c.rope_theta, s);
    ASSERT_EQ(scaled.size(), size_t(c.head_dim / 2));
    int high = 0, low = 0, medium = 0;
    for (size_t i = 0; i < scaled.size(); ++i) {
      const long double wavelength =
          2.0L * std::numbers::pi_v<long double> * std::pow((long double)c.rope_theta, 2.0L * i / c.head_dim);
      // float32 arithmetic of θ^(2i/d) and of the blend: a few units in the last place.
      EXPECT_NEAR(scaled[i] / expected[i], 1.0L, 4e-6L) << i;
      if (wavelength < 8192.0L / 4) {  // the exact limits: high frequencies untouched, low ones divided
        EXPECT_EQ(scaled[i], plain[i]) << i;
        ++high;
      } else if (wavelength > 8192.0L) {
        EXPECT_EQ(scaled[i], plain[i] / s.factor) << i;
        ++low;
      } else {
        EXPECT_LT(scaled[i], plain[i]) << i;
        EXPECT_GT(scaled[i], plain[i] / s.factor) << i;
        ++medium;
      }
    }
    // Every band is exercised (head_dim 64: 15 high, 3 medium, 14 low).
    EXPECT_GT(high, 0);
    EXPECT_GT(medium, 0);
    EXPECT_GT(low, 0);
  }
}

TEST(RopeScaling, LinearDividesEveryFrequency) {
  const ops::RopeScaling linear{.type = Type::Linear, .factor = 4.0f};
  const std::vector<float> scaled = ops::rope_inv_freq(16, 10000.0f, linear);
  const std::vector<float> plain = ops::rope_inv_freq(16, 10000.0f, {});
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(scaled[i], plain[i] / 4.0f);
  // Position p of the scaled table is position p / factor of the plain one.
  const ops::RopeTable a = ops::rope_table(9, 16, 10000.0f, linear), b = ops::rope_table(3, 16, 10000.0f, {});
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(a.cos[8 * 8 + i], b.cos[2 * 8 + i], 1e-6f);
}

// The tiny Llama fixture with llama3 scaling in its config: layer 0's q and k (which no earlier attention
// changed) must be the fixture's pre-RoPE vectors rotated by the scaled angles, computed here independently.
TEST(RopeScaling, Llama3CheckpointExtractsWithScaledAngles) {
  const auto fixture = test::source_dir() / "tests/fixtures/hf/llama/model";
  const auto dir = test::fresh_dir("llama3-scaled");
  for (const auto& entry : std::filesystem::directory_iterator(fixture))
    std::filesystem::copy_file(entry.path(), dir / entry.path().filename());
  std::ifstream fixture_config(fixture / "config.json");
  json config = json::parse(fixture_config);
  // head_dim 16, θ 10000: wavelengths 6.3, 20, 63, 199, ..., 19869; with a pre-training context of 64 the
  // first pair is high-frequency, the next two medium and the rest low.
  const ops::RopeScaling s{.type = Type::Llama3,
                           .factor = 8.0f,
                           .low_freq_factor = 1.0f,
                           .high_freq_factor = 4.0f,
                           .original_positions = 64};
  config["rope_parameters"] = {{"rope_type", "llama3"},   {"rope_theta", 10000.0},
                               {"factor", s.factor},      {"low_freq_factor", s.low_freq_factor},
                               {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 64}};
  std::ofstream(dir / "config.json") << config.dump();

  const auto model = load_model(dir);
  const test::Reference ref("hf/llama");
  const int head_dim = 16, half = 8;
  const std::vector<long double> inv_freq = llama3_inv_freq(head_dim, 10000.0L, s);
  for (int seq = 0; seq < ref.sequences(); ++seq) {
    const Capture capture = model->forward(ref.input(seq), {});
    const std::string p = "s" + std::to_string(seq) + ".l0.";
    for (const char* which : {"q", "k"}) {
      const std::vector<float> before = ref.floats(p + which + "_prerope");
      const std::vector<float>& got = which[0] == 'q' ? capture.layers[0].q : capture.layers[0].k;
      ASSERT_EQ(got.size(), before.size());
      const size_t tokens = ref.input(seq).input_ids.size(), heads = before.size() / (tokens * head_dim);
      float worst = 0.0f, unscaled_worst = 0.0f;
      for (size_t h = 0; h < heads; ++h)
        for (size_t t = 0; t < tokens; ++t) {
          const size_t row = (h * tokens + t) * head_dim;
          for (int i = 0; i < half; ++i) {
            const long double re = before[row + i], im = before[row + i + half];
            const long double angle = t * inv_freq[i], plain = t / std::pow(10000.0L, 2.0L * i / head_dim);
            worst = std::max(worst,
                             float(std::abs(got[row + i] - (re * std::cos(angle) - im * std::sin(angle)))));
            worst = std::max(
                worst, float(std::abs(got[row + i + half] - (im * std::cos(angle) + re * std::sin(angle)))));
            unscaled_worst =
                std::max(unscaled_worst,
                         float(std::abs(got[row + i] - (re * std::cos(plain) - im * std::sin(plain)))));
            if (t == 0) {
              EXPECT_NEAR(got[row + i], before[row + i], 1e-4f) << "position 0: a rotation by 0";
            }
          }
        }
      EXPECT_LE(worst, 1e-4f) << p << which;
      EXPECT_GT(unscaled_worst, 1e-2f) << p << which << ": the scaling made no difference";
    }
  }
}

}  // namespace
}  // namespace attnviz
