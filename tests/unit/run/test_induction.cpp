// Induction scores: the score of constructed attention, the scores extract measures with the bundled models,
// and their place in the manifest.
#include <gtest/gtest.h>

#include <algorithm>

#include "conformance.hpp"
#include "core/json.hpp"
#include "run/induction.hpp"
#include "support/run_manifest.hpp"
#include "support/tiny_run.hpp"

namespace attnviz {
namespace {

using test::edit_manifest;
using test::expect_open_error;
using test::TempDir;

// [T, T] attention that puts all weight of row i on column target(i).
template <class Target>
std::vector<float> one_hot_attention(int tokens, Target target) {
  std::vector<float> a(static_cast<size_t>(tokens) * tokens, 0.0f);
  for (int i = 0; i < tokens; ++i) a[i * tokens + target(i)] = 1;
  return a;
}

TEST(Induction, APerfectInductionPatternScoresOneAndAPreviousTokenHeadNearZero) {
  const int start = 1, length = 10, tokens = start + 2 * length + 1;  // [CLS] copy copy [SEP]
  const auto induction = one_hot_attention(
      tokens, [&](int i) { return i >= start + length && i < start + 2 * length ? i - length + 1 : 0; });
  EXPECT_DOUBLE_EQ(induction_score(induction.data(), tokens, start, length), 1.0);
  const auto previous = one_hot_attention(tokens, [](int i) { return std::max(0, i - 1); });
  EXPECT_DOUBLE_EQ(induction_score(previous.data(), tokens, start, length), 0.0);
  EXPECT_THROW(induction_score(previous.data(), tokens, start, length + 1), Error);
}

// brown-gpt (6 layers, trained for 2200 steps) has no induction head: every score stays near chance, the
// 1/position a uniform head would give (docs/guide.md reports them).
TEST(Induction, MeasuredOnABundledModelInRangeAndDeterministic) {
  const auto dir = test::source_dir() / "models/brown-gpt";
  const auto model = load_model(dir);
  const Tokenizer tokenizer = Tokenizer::load(dir);
  const InductionOptions options{.seed = 1234, .sequences = 2, .length = 50};  // 2 of extract's 8: faster
  const auto a = measure_induction(*model, &tokenizer, options),
             b = measure_induction(*model, &tokenizer, options);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->scores, b->scores);
  EXPECT_EQ(a->scores.size(), static_cast<size_t>(model->config().num_layers * model->config().num_heads));
  EXPECT_EQ(a->length, 50);
  for (double s : a->scores) EXPECT_TRUE(s >= 0 && s <= 1);
}

TEST(Induction, ImageModelsHaveNone) {
  const auto model = load_model(test::source_dir() / "models/mnist-vit");
  EXPECT_FALSE(measure_induction(*model, nullptr).has_value());
}

RunContents contents_with_induction() {
  RunContents c = test::TinyRun::text({"gpt2", "text", 2, 2, 2, 3, true, 0.5f}, {{"a", " b", " c"}}).contents;
  c.induction = RunInduction{7, 8, 50, {0.1, 0.9, 0.0, 1.0}};
  return c;
}

void write_run(const std::filesystem::path& dir, const RunContents& c) {
  std::filesystem::create_directories(dir);
  RunWriter writer(dir, c);
  for (int layer = 0; layer < 2; ++layer)
    writer.write(0, layer, std::vector<float>(18), std::vector<float>(18));
  writer.finish();
}

TEST(Induction, RoundTripsThroughTheManifestAndIsOptional) {
  TempDir tmp;
  write_run(tmp / "run", contents_with_induction());
  const auto run = Run::open(tmp / "run");
  ASSERT_TRUE(run->induction().has_value());
  EXPECT_EQ(run->induction()->seed, 7u);
  EXPECT_EQ(run->induction(0, 1), 0.9);
  EXPECT_EQ(run->induction(1, 1), 1.0);
  EXPECT_FALSE(run->induction(2, 0).has_value());
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m.erase("induction"); });
  EXPECT_FALSE(Run::open(tmp / "run")->induction(0, 1).has_value()) << "runs from before it: null";
}

TEST(Induction, AMalformedManifestFieldIsAnErrorNamingIt) {
  TempDir tmp;
  write_run(tmp / "run", contents_with_induction());
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m["induction"]["scores"][1] = {0.5}; });
  expect_open_error(tmp / "run", "induction: \"scores\" must be 2 arrays of 2 numbers in [0, 1]");
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m["induction"]["scores"][1] = {0.5, 1.5}; });
  expect_open_error(tmp / "run", "in [0, 1]");
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m["induction"] = "x"; });
  expect_open_error(tmp / "run", "induction is not an object");
}

}  // namespace
}  // namespace attnviz
