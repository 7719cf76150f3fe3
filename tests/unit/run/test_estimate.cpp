// What extract will write, predicted before it starts (run/estimate.hpp), against the files the real
// RunWriter writes: every size exact. The memory estimate against measured peak RSS is in
// tests/unit/cli/test_sizing_cli.cpp (it needs the real binary).
#include <gtest/gtest.h>

#include <filesystem>

#include "model/ops.hpp"
#include "run/estimate.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

const RunModel kModel{"llama", "text", 3, 4, 2, 8, true, 0.35f};

ModelConfig config_of(const RunModel& m) {
  ModelConfig c;
  c.num_layers = m.num_layers;
  c.num_heads = m.num_heads;
  c.num_kv_heads = m.num_kv_heads;
  c.head_dim = m.head_dim;
  c.hidden_size = m.num_heads * m.head_dim;
  c.intermediate_size = 4 * c.hidden_size;
  return c;
}

// Each predicted file exists in the written run with exactly the predicted size.
void expect_exact(const test::TinyRun& run) {
  const ExtractEstimate e = estimate_extract(run.contents, config_of(run.contents.model), 1000, 2000, 64, 2);
  test::TempDir dir;
  run.write(dir / "run");
  ASSERT_EQ(e.files.size(), 3u);
  for (const PlannedFile& f : e.files) EXPECT_EQ(fs::file_size(dir / "run" / f.name), f.bytes) << f.name;
  EXPECT_EQ(dir.entries().size(), 1u);
}

TEST(ExtractEstimate, TheFilesAreExactlyTheSizesTheWriterWrites) {
  test::TinyRun text = test::TinyRun::text(kModel, {{"Hello", ",", " wörld"}, {"a", "b"}, {"\xff", "x"}});
  text.random(1);
  expect_exact(text);  // F32
  text.contents.dtype = DType::F16;
  expect_exact(text);
  text.with_values(2);
  expect_exact(text);
  text.contents.induction = RunInduction{7, 4, 20, std::vector<double>(12, 0.123456789)};
  expect_exact(text);
  test::TinyRun images =
      test::TinyRun::images({"vit", "image", 2, 2, 2, 4, false, 0.5f}, {"a.png", "b.png"}, 3);
  expect_exact(images);
}

TEST(ExtractEstimate, MemoryCountsTheMappedCheckpointTheCopiesAndGrowsWithTheBatchAndTheValues) {
  test::TinyRun run = test::TinyRun::text(kModel, std::vector<std::vector<std::string>>(40, {"a", "b", "c"}));
  const ModelConfig config = config_of(kModel);
  const ExtractEstimate small = estimate_extract(run.contents, config, 1'000'000, 0, 3, 1);
  EXPECT_EQ(small.weights, 1'000'000u + 4 * ops::kHalfBlockValues);  // the copies and one converted block
  EXPECT_EQ(small.memory(), small.base + small.weights + small.tables + small.batch);
  // The checkpoint stays mapped and is read on every pass: it adds to the rest, while loading and after.
  const ExtractEstimate mapped = estimate_extract(run.contents, config, 1'000'000, 1'000'000'000, 3, 1);
  EXPECT_EQ(mapped.memory(), small.memory() + 1'000'000'000);
  const ExtractEstimate large = estimate_extract(run.contents, config, 1'000'000, 0, 30, 1);
  EXPECT_GT(large.batch, 9 * small.batch);  // ten sequences a pass instead of one
  run.with_values(1);
  EXPECT_GT(estimate_extract(run.contents, config, 1'000'000, 0, 30, 1).batch, large.batch);
}

TEST(ExtractEstimate, BatchesAreWholeSequencesUpToTheBudgetAndAtLeastOne) {
  std::vector<RunSequence> s(4);
  const int64_t lengths[] = {3, 4, 10, 2};
  for (int i = 0, first = 0; i < 4; first += lengths[i++])
    s[i].first_token = first, s[i].token_count = lengths[i];
  EXPECT_EQ(batch_end(s, 0, 7), 2u);
  EXPECT_EQ(batch_end(s, 0, 6), 1u);
  EXPECT_EQ(batch_end(s, 2, 5), 3u);  // longer than the budget: alone
  EXPECT_EQ(batch_end(s, 3, 100), 4u);
}

}  // namespace
}  // namespace attnviz
