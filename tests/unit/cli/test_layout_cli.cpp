// attnviz layout as a user runs it: on a run extracted from the bundled brown-gpt model, and on bad inputs
// (non-zero exit, one line of error, nothing written).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/json.hpp"
#include "core/safetensors.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

using test::expect_one_line_error;
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

  static inline std::unique_ptr<test::TempDir> temp_;
  static inline fs::path root_;
};

// Where each optimiser stopped, as metrics.json reports it for a head laid out with t-SNE, UMAP and PCA in
// 2D (points: 2N).
void expect_optimiser_metrics(const nlohmann::json& head, int64_t points) {
  // t-SNE: a KL divergence well below a layout's that ignores P: against a uniform Q it is log(n (n - 1)) -
  // H(P) ≈ log(points / perplexity) (each of P's rows spreads over ~perplexity neighbours), 3.7 here, while
  // converged layouts of these heads reach ~1.3. Iterations within the cap.
  const double kl = head["kl"]["tsne-2d"].get<double>();
  EXPECT_GT(kl, 0.0);
  EXPECT_LT(kl, std::log(double(points) / 20) - 1);
  const int iterations = head["iterations"]["tsne-2d"].get<int>();
  EXPECT_GT(iterations, 100);  // past early exaggeration
  EXPECT_LE(iterations, 1000);
  EXPECT_EQ(head["converged"]["tsne-2d"].get<bool>(), iterations < 1000);
  // UMAP: a positive, finite cross-entropy and the epochs of its schedule (500 below 10,000 points).
  const double cross_entropy = head["cross_entropy"]["umap-2d"].get<double>();
  EXPECT_GT(cross_entropy, 0.0);
  EXPECT_TRUE(std::isfinite(cross_entropy));
  EXPECT_EQ(head["epochs"]["umap-2d"].get<int>(), 500);
  // Each figure only where its method has it.
  for (const char* key : {"kl", "iterations", "converged"}) {
    EXPECT_FALSE(head[key].contains("umap-2d")) << key;
    EXPECT_FALSE(head[key].contains("pca-2d")) << key;
  }
  for (const char* key : {"cross_entropy", "epochs"}) {
    EXPECT_FALSE(head[key].contains("tsne-2d")) << key;
    EXPECT_FALSE(head[key].contains("pca-2d")) << key;
  }
}

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
  expect_optimiser_metrics(metrics["heads"]["l5.h7"], 2 * tokens);
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

TEST_F(LayoutCli, BadShardsAreOneLineErrors) {
  const fs::path run = copy_run("shards");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--shard 2/2", "invalid --shard '2/2' (expected I/N with 0 <= I < N"},
      {"--shard 0/0", "invalid --shard '0/0'"},
      {"--shard 0/100001", "invalid --shard '0/100001' (expected I/N with 0 <= I < N <= 100000"},
      {"--shard -1/2", "invalid --shard '-1/2'"},
      {"--shard 1", "invalid --shard '1'"},
      {"--shard a/2", "invalid shard index in --shard 'a/2' 'a'"},
      {"--shard auto", "--shard auto: neither a Slurm array task (SLURM_ARRAY_TASK_ID) nor a Kubernetes"},
      {"--merge", "no finished shards to merge"},
  };
  for (const auto& [flags, needle] : cases) {
    SCOPED_TRACE(flags);
    expect_one_line_error(run_attnviz("layout " + quoted(run) + " --methods pca " + flags, "",
                                      "env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX "),
                          needle);
  }
  EXPECT_FALSE(fs::exists(run / "layouts" / "pca-2d.safetensors"));
  const auto both = run_attnviz("layout " + quoted(run) + " --shard 0/2 --merge");
  EXPECT_NE(both.status, 0);
  EXPECT_NE(both.text.find("--shard excludes --merge"), std::string::npos) << both.text;
}

TEST_F(LayoutCli, ShardsFromTheEnvironmentOfSlurmAndKubernetes) {
  const std::string flags = " --methods pca --dims 2 --shard auto";
  const std::vector<std::pair<std::string, std::string>> errors = {
      {"SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=6 SLURM_ARRAY_TASK_STEP=2 "
       "SLURM_ARRAY_TASK_COUNT=4",
       "the Slurm array is not one range of task ids (task 4); submit it as --array=0-3"},
      {"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor _MAX"},
      {"JOB_COMPLETION_INDEX=0", "JOB_COMPLETION_INDEX is set but ATTNVIZ_SHARDS"},
      {"JOB_COMPLETION_INDEX=3 ATTNVIZ_SHARDS=3", "JOB_COMPLETION_INDEX 3 is not below ATTNVIZ_SHARDS 3"},
      {"JOB_COMPLETION_INDEX=x ATTNVIZ_SHARDS=3", "invalid JOB_COMPLETION_INDEX value 'x'"},
      {"SLURM_ARRAY_TASK_ID=4 ATTNVIZ_SHARDS=4", "SLURM_ARRAY_TASK_ID 4 is not below ATTNVIZ_SHARDS 4"},
  };
  const fs::path bad = copy_run("env-errors");
  for (const auto& [env, needle] : errors) {
    SCOPED_TRACE(env);
    expect_one_line_error(run_attnviz("layout " + quoted(bad) + flags, "", "env " + env + " "), needle);
  }

  // Slurm array 5-6 (task 6 is shard 1 of 2), then shard 0 of 2 as a Kubernetes pod, which merges; and shard
  // 1 again as a one-task Slurm array (ATTNVIZ_SHARDS gives N), which then waits for shard 0.
  const fs::path single = copy_run("env-single"), run = copy_run("env-shards");
  ASSERT_EQ(run_attnviz("layout " + quoted(single) + " --methods pca --dims 2").status, 0);
  const auto slurm = run_attnviz("layout " + quoted(run) + flags, "",
                                 "env SLURM_ARRAY_TASK_ID=6 SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_MAX=6 "
                                 "SLURM_ARRAY_TASK_COUNT=2 ");
  ASSERT_EQ(slurm.status, 0) << slurm.text;
  EXPECT_NE(slurm.text.find("shard 1/2 finished; 1 of 2 shards still running"), std::string::npos)
      << slurm.text;
  EXPECT_TRUE(fs::exists(run / "layouts" / "shards" / "pca-2d.1-of-2.safetensors"));
  expect_one_line_error(run_attnviz("layout " + quoted(run) + " --merge"),
                        "cannot merge: shard(s) 0 of 2 have not finished");
  const auto pod = run_attnviz("layout " + quoted(run) + flags, "",
                               "env -u SLURM_ARRAY_TASK_ID JOB_COMPLETION_INDEX=0 ATTNVIZ_SHARDS=2 ");
  ASSERT_EQ(pod.status, 0) << pod.text;
  EXPECT_NE(pod.text.find("shard 0/2 finished last: merged 2 shards"), std::string::npos) << pod.text;
  EXPECT_EQ(test::read_text(run / "layouts" / "pca-2d.safetensors"),
            test::read_text(single / "layouts" / "pca-2d.safetensors"));
  const auto rerun = run_attnviz("layout " + quoted(run) + flags + " --force", "",
                                 "env SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=1 "
                                 "ATTNVIZ_SHARDS=2 ");
  ASSERT_EQ(rerun.status, 0) << rerun.text;
  EXPECT_NE(rerun.text.find("laid out 24 heads"), std::string::npos) << rerun.text;
  EXPECT_TRUE(fs::exists(run / "layouts" / "shards" / "metrics.1-of-2.json"));
}

TEST_F(LayoutCli, MergeByHand) {
  const fs::path run = copy_run("merge");
  for (const std::string shard : {"0/2", "1/2"}) {
    const auto r =
        run_attnviz("layout " + quoted(run) + " --methods pca --dims 3 --heads 0:0,1:1,2:2 --shard " + shard);
    ASSERT_EQ(r.status, 0) << r.text;
  }
  ASSERT_TRUE(fs::exists(run / "layouts" / "pca-3d.safetensors"));  // the second shard merged
  const auto again = run_attnviz("layout " + quoted(run) + " --merge");
  EXPECT_NE(again.status, 0);  // merged already: the shards are gone
  EXPECT_NE(again.text.find("no finished shards to merge"), std::string::npos) << again.text;

  // A shard whose merge never ran (its process was killed after its record was written): --merge does it.
  fs::create_directories(run / "layouts" / "shards");
  fs::copy_file(run / "layouts" / "pca-3d.safetensors",
                run / "layouts" / "shards" / "pca-3d.0-of-1.safetensors");
  std::ofstream(run / "layouts" / "shards" / "metrics.0-of-1.json")
      << R"({"shard": 0, "shards": 1, "files": ["pca-3d"], "heads": {"l0.h0": {"tokens": 1}}})";
  const auto merged = run_attnviz("layout " + quoted(run) + " --merge");
  ASSERT_EQ(merged.status, 0) << merged.text;
  EXPECT_NE(merged.text.find("merged 1 shards (1 layout files)"), std::string::npos) << merged.text;
  const auto metrics = read_json_file(run / "layouts" / "metrics.json");
  EXPECT_EQ(metrics["heads"]["l0.h0"]["tokens"], 1);                       // the shard's figure replaced it
  EXPECT_TRUE(metrics["heads"]["l0.h0"].contains("normalisation_scale"));  // the others kept
  EXPECT_TRUE(metrics["heads"].contains("l2.h2"));
  EXPECT_FALSE(fs::exists(run / "layouts" / "shards"));
}

}  // namespace
}  // namespace attnviz
