// What the layout job will write, predicted before it starts (layout/estimate.hpp), against the files it
// writes: layout files exact, the JSON files within their stated upper bounds. The memory estimate against
// measured peak RSS is in tests/unit/cli/test_sizing_cli.cpp (it needs the real binary).
#include <gtest/gtest.h>

#include <filesystem>

#include "layout/estimate.hpp"
#include "layout/layout_file.hpp"
#include "layout/layout_job.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

constexpr int kLayers = 2, kHeads = 2;

void write_run(const fs::path& dir) {
  test::TinyRun run =
      test::TinyRun::text({"llama", "text", kLayers, kHeads, 1, 8, true, 0.35f},
                          std::vector<std::vector<std::string>>(8, {"a", "b", "c", "d", "e"}));
  run.random(3).write(dir);
}

std::vector<HeadId> all_heads() {
  std::vector<HeadId> heads;
  for (int l = 0; l < kLayers; ++l)
    for (int h = 0; h < kHeads; ++h) heads.emplace_back(l, h);
  return heads;
}

TEST(LayoutEstimate, LayoutFilesAreExactAndTheJsonFilesWithinTheirBounds) {
  test::TempDir dir;
  write_run(dir / "run");
  LayoutJobOptions options;
  options.run_dir = dir / "run";
  options.dims = {2};
  options.threads = 1;
  options.show_progress = false;
  run_layout_job(options);

  const auto run = Run::open(dir / "run");
  std::vector<PlannedLayout> planned;
  for (LayoutMethod method : {LayoutMethod::PCA, LayoutMethod::TSNE, LayoutMethod::UMAP})
    planned.push_back(
        {method, 2, layout_file_path(fs::path(), method, 2).string(), kLayers * kHeads, all_heads()});
  const LayoutEstimate e = estimate_layout(*run, planned, true, 1);
  ASSERT_EQ(e.files.size(), 6u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(fs::file_size(dir / "run" / e.files[i].name), e.files[i].bytes) << e.files[i].name;
  for (size_t i = 3; i < 6; ++i) {
    const uintmax_t actual = fs::file_size(dir / "run" / e.files[i].name);
    EXPECT_LE(actual, e.files[i].bytes) << e.files[i].name;
    EXPECT_LE(e.files[i].bytes, 6 * actual + 1000) << e.files[i].name << ": a bound far above the file";
  }
}

TEST(LayoutEstimate, MemoryGrowsWithThreadsAndOnlyLaterPhasesKeepNeighbours) {
  test::TempDir dir;
  write_run(dir / "run");
  const auto run = Run::open(dir / "run");
  const PlannedLayout tsne{LayoutMethod::TSNE, 2, "layouts/tsne-2d.safetensors", 4, all_heads()};
  const PlannedLayout umap{LayoutMethod::UMAP, 2, "layouts/umap-2d.safetensors", 4, all_heads()};
  const LayoutEstimate one = estimate_layout(*run, {tsne}, false, 1);
  EXPECT_EQ(one.neighbours, 0u);
  EXPECT_EQ(one.memory(), one.base + one.tables + one.neighbours + one.phase);
  EXPECT_GT(estimate_layout(*run, {tsne}, false, 4).phase, 3 * one.phase);
  EXPECT_GT(estimate_layout(*run, {tsne, umap}, false, 1).neighbours, 0u);
  EXPECT_EQ(estimate_layout(*run, {tsne}, false, 1).files.size(), 3u);  // no heads.json
}

}  // namespace
}  // namespace attnviz
