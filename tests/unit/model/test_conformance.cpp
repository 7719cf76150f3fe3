// Every fixture: q, k, attention probabilities of every layer and head and the final hidden state match what
// Hugging Face transformers computed, to 1e-4 absolute; forward_batch gives what forward gives. The hf/
// fixtures' value vectors match values.safetensors (tests/fixtures/tools/make_value_references.py) as well.
#include <gtest/gtest.h>

#include <filesystem>

#include "model/model.hpp"
#include "model/ops.hpp"
#include "reference.hpp"

namespace attnviz {
namespace {

using test::Fixture;
using test::max_abs_diff;
using test::Reference;

constexpr float kTolerance = 1e-4f;

// The reference hidden state as attnviz defines it (after the final norm).
std::vector<float> reference_hidden(const Fixture& fixture, const Reference& ref, const Model& model, int s) {
  std::vector<float> hidden = ref.floats("s" + std::to_string(s) + ".hidden");
  if (!fixture.hidden_before_final_norm) return hidden;
  const auto file = SafetensorsFile::open(fixture.model_dir / "model.safetensors");
  const std::vector<float> gamma = file->at("vit.layernorm.weight").to_f32(),
                           beta = file->at("vit.layernorm.bias").to_f32();
  const int d = model.config().hidden_size;
  ops::layernorm(hidden.data(), int(hidden.size()) / d, d, gamma.data(), beta.data(), model.config().norm_eps,
                 hidden.data());
  return hidden;
}

class Conformance : public ::testing::TestWithParam<Fixture> {};

TEST_P(Conformance, MatchesTransformers) {
  const Fixture& fixture = GetParam();
  const std::unique_ptr<Model> model = load_model(fixture.model_dir);
  const Reference ref(fixture.name);
  const int sequences = ref.sequences();
  ASSERT_GE(sequences, 2);
  for (int s = 0; s < sequences; ++s) {
    const std::string p = "s" + std::to_string(s) + ".";
    const Capture capture = model->forward(ref.input(s), {.attention = true, .hidden = true});
    ASSERT_EQ(int(capture.layers.size()), model->config().num_layers);
    for (int l = 0; l < model->config().num_layers; ++l) {
      const std::string lp = p + "l" + std::to_string(l) + ".";
      EXPECT_LE(max_abs_diff(capture.layers[l].q, ref.floats(lp + "q")), kTolerance) << lp << "q";
      EXPECT_LE(max_abs_diff(capture.layers[l].k, ref.floats(lp + "k")), kTolerance) << lp << "k";
      EXPECT_LE(max_abs_diff(capture.layers[l].attn, ref.floats(lp + "attn")), kTolerance) << lp << "attn";
    }
    EXPECT_LE(max_abs_diff(capture.hidden, reference_hidden(fixture, ref, *model, s)), kTolerance)
        << p << "hidden";
  }
}

TEST_P(Conformance, BatchEqualsSingle) {
  const Fixture& fixture = GetParam();
  const std::unique_ptr<Model> model = load_model(fixture.model_dir);
  const Reference ref(fixture.name);
  std::vector<ModelInput> inputs;
  for (int s = 0; s < ref.sequences(); ++s) inputs.push_back(ref.input(s));
  inputs.push_back(inputs.front());  // the same sequence twice in one batch
  const ForwardOptions options{.attention = true, .hidden = true};
  const std::vector<Capture> batch = model->forward_batch(inputs, options);
  ASSERT_EQ(batch.size(), inputs.size());
  for (size_t s = 0; s < inputs.size(); ++s) {
    const Capture single = model->forward(inputs[s], options);
    ASSERT_EQ(batch[s].tokens, single.tokens);
    ASSERT_EQ(batch[s].tokens, model->sequence_length(inputs[s]));
    for (size_t l = 0; l < single.layers.size(); ++l) {
      EXPECT_LE(max_abs_diff(batch[s].layers[l].q, single.layers[l].q), 1e-5f);
      EXPECT_LE(max_abs_diff(batch[s].layers[l].k, single.layers[l].k), 1e-5f);
      EXPECT_LE(max_abs_diff(batch[s].layers[l].attn, single.layers[l].attn), 1e-5f);
    }
    EXPECT_LE(max_abs_diff(batch[s].hidden, single.hidden), 1e-5f);
  }
}

TEST_P(Conformance, AttentionFromCapturedQueriesAndKeys) {
  // attention_probabilities(q, k) — what the server computes from a run — equals the model's own attention.
  const Fixture& fixture = GetParam();
  const std::unique_ptr<Model> model = load_model(fixture.model_dir);
  const ModelConfig& c = model->config();
  const Capture capture = model->forward(Reference(fixture.name).input(0), {.attention = true});
  for (const LayerCapture& layer : capture.layers) {
    const std::vector<float> p =
        attention_probabilities(layer.q, layer.k, c.num_heads, c.num_kv_heads, capture.tokens, c.head_dim,
                                c.attention_scale, c.causal);
    EXPECT_LE(max_abs_diff(p, layer.attn), 1e-6f);
  }
}

TEST_P(Conformance, ValuesMatchReference) {
  const Fixture& fixture = GetParam();
  const auto path = test::source_dir() / "tests/fixtures" / fixture.name / "values.safetensors";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no value reference for " << fixture.name;
  const std::unique_ptr<Model> model = load_model(fixture.model_dir);
  const Reference ref(fixture.name);
  const auto values = SafetensorsFile::open(path);
  for (int s = 0; s < ref.sequences(); ++s) {
    const Capture with = model->forward(ref.input(s), {.values = true});
    const Capture without = model->forward(ref.input(s));
    for (int l = 0; l < model->config().num_layers; ++l) {
      const std::string name = "s" + std::to_string(s) + ".l" + std::to_string(l) + ".v";
      EXPECT_LE(max_abs_diff(with.layers[l].v, values->at(name).to_f32()), kTolerance) << name;
      EXPECT_TRUE(without.layers[l].v.empty()) << "values only when asked for";
      EXPECT_EQ(with.layers[l].k, without.layers[l].k);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Conformance, ::testing::ValuesIn(test::all_fixtures()),
                         test::fixture_test_name);

}  // namespace
}  // namespace attnviz
