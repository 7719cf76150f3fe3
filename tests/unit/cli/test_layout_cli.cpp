// attnviz layout as a user runs it: on a run extracted from the bundled brown-gpt model, and on bad inputs
// (non-zero exit, one line of error, nothing written).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/json.hpp"
#include "core/safetensors.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

using test::run_attnviz;

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

class LayoutCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = std::make_unique<test::TempDir>();
    root_ = temp_->path();
    const auto r = test::extract_brown_gpt(root_, 12, "--max-tokens 400 --threads 2");
    ASSERT_EQ(r.status, 0) << r.text;
  }
  static void TearDownTestSuite() { temp_.reset(); }

  // A fresh copy of the extracted run.
  fs::path copy_run(const std::string& name) const {
    const fs::path dir = root_ / name;
    fs::remove_all(dir);
    fs::copy(root_ / "run", dir, fs::copy_options::recursive);
    return dir;
  }

  static void expect_one_line_error(const test::ProcessOutput& r, const std::string& needle) {
    EXPECT_NE(r.status, 0);
    EXPECT_EQ(r.text.rfind("attnviz: error: ", 0), 0u) << r.text;
    EXPECT_EQ(std::count(r.text.begin(), r.text.end(), '\n'), 1) << r.text;
    EXPECT_NE(r.text.find(needle), std::string::npos) << r.text;
  }

  static inline std::unique_ptr<test::TempDir> temp_;
  static inline fs::path root_;
};

TEST_F(LayoutCli, WritesRequestedLayoutsAndSkipsThemOnRerun) {
  const fs::path run = copy_run("good");
  const std::string args =
      "layout " + quoted(run) + " --methods pca,umap,tsne --dims 2 --heads 0:0,5:7 --threads 2";
  const auto r = run_attnviz(args);
  ASSERT_EQ(r.status, 0) << r.text;
  const auto manifest = read_json_file(run / "manifest.json");
  int64_t tokens = 0;
  for (const auto& s : manifest["sequences"]) tokens += s["token_count"].get<int64_t>();
  for (const std::string name : {"pca-2d", "umap-2d", "tsne-2d"}) {
    const auto file = SafetensorsFile::open(run / "layouts" / (name + ".safetensors"));
    // 2 heads: points, scale and shift each, and for PCA mean and components (docs/format.md).
    ASSERT_EQ(file->tensors().size(), name == "pca-2d" ? 10u : 6u) << name;
    EXPECT_EQ(file->at("l5.h7").shape, (std::vector<int64_t>{2 * tokens, 2}));
  }
  EXPECT_FALSE(fs::exists(run / "layouts" / "pca-3d.safetensors"));
  const auto metrics = read_json_file(run / "layouts" / "metrics.json");
  EXPECT_TRUE(metrics["heads"]["l0.h0"]["trustworthiness"].contains("umap-2d"));
  const auto again = run_attnviz(args);
  ASSERT_EQ(again.status, 0) << again.text;
  EXPECT_NE(again.text.find("laid out 0 heads (6 already present)"), std::string::npos) << again.text;
}

TEST_F(LayoutCli, UnknownMethod) {
  const fs::path run = copy_run("method");
  expect_one_line_error(run_attnviz("layout " + quoted(run) + " --methods tsne,mds"),
                        "unknown layout method 'mds'");
  EXPECT_FALSE(fs::exists(run / "layouts"));
}

TEST_F(LayoutCli, BadListsAreOneLineErrors) {
  const fs::path run = copy_run("lists");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--dims 2,4", "invalid dimension 4 (expected 2 or 3)"},
      {"--dims 2,x", "invalid dimension 'x'"},
      {"--dims ''", "no dimension given"},
      {"--methods ''", "no layout method given"},
      {"--heads 1-2", "invalid head '1-2' (expected LAYER:HEAD, e.g. 2:1)"},
      {"--heads 1:x", "invalid head in head '1:x' 'x'"},
  };
  for (const auto& [flags, needle] : cases) {
    SCOPED_TRACE(flags);
    expect_one_line_error(run_attnviz("layout " + quoted(run) + " " + flags), needle);
  }
  EXPECT_FALSE(fs::exists(run / "layouts"));
}

TEST_F(LayoutCli, HeadOutOfRange) {
  const fs::path run = copy_run("head");
  expect_one_line_error(run_attnviz("layout " + quoted(run) + " --heads 0:1,6:0"),
                        "head 6:0 is out of range");
  EXPECT_FALSE(fs::exists(run / "layouts"));
}

TEST_F(LayoutCli, RunOfAnotherVersion) {
  const fs::path run = copy_run("version");
  auto manifest = read_json_file(run / "manifest.json");
  manifest["version"] = 99;
  std::ofstream(run / "manifest.json") << manifest.dump();
  expect_one_line_error(run_attnviz("layout " + quoted(run) + " --methods pca"), "version");
  EXPECT_FALSE(fs::exists(run / "layouts"));
}

TEST_F(LayoutCli, TruncatedQk) {
  const fs::path run = copy_run("truncated");
  fs::resize_file(run / "qk.safetensors", fs::file_size(run / "qk.safetensors") / 2);
  expect_one_line_error(run_attnviz("layout " + quoted(run) + " --methods pca"), "qk.safetensors");
  EXPECT_FALSE(fs::exists(run / "layouts"));
}

}  // namespace
}  // namespace attnviz
