// Interrupted and concurrent jobs (issue 11, items 7 and 8), with real processes: an `attnviz extract` or
// `attnviz layout` killed with SIGKILL leaves nothing that blocks or misleads the next one (its staging
// folder is removed by the next extract to the same --out, its progress.json reads as stopped), and two jobs
// on the same output do not both "succeed": the second fails with one line while the first holds the lock.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/json.hpp"
#include "layout/progress_file.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

using namespace std::chrono_literals;
using test::run_attnviz;
using test::shell_quoted;

const fs::path kSource = ATTNVIZ_SOURCE_DIR;

// Waits until `done()` or the timeout; whether it became true.
template <class Done>
bool wait_until(Done done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

using test::expect_one_line_error;

class LeftoversCli : public ::testing::Test {
 protected:
  // `attnviz ARGUMENTS` in the background, once `ready()` holds (bounded); it must still be running then.
  template <class Ready>
  std::unique_ptr<test::BackgroundProcess> start(const std::vector<std::string>& arguments, Ready ready) {
    auto process = std::make_unique<test::BackgroundProcess>(arguments, dir.path() / (arguments[0] + ".log"));
    EXPECT_TRUE(wait_until([&] { return ready(*process) || !process->running(); }, 120s)) << process->log();
    EXPECT_TRUE(process->running()) << "it ended before it could be interrupted: " << process->log();
    return process;
  }

  // Extracts the first `lines` Brown sentences into `out` in small batches on one thread (seconds).
  std::vector<std::string> extract_arguments(const fs::path& out, int lines) {
    std::string text = test::read_text(kSource / "data" / "brown_eval.txt"), head;
    for (size_t at = 0; lines > 0 && at < text.size(); at = text.find('\n', at) + 1) {
      const size_t end = text.find('\n', at);
      if (end == at) continue;
      head += text.substr(at, end - at + 1);
      --lines;
    }
    test::write_text(dir.path() / "long.txt", head);
    return {"extract",
            "--model",
            (kSource / "models" / "brown-gpt").string(),
            "--input",
            (dir.path() / "long.txt").string(),
            "--out",
            out.string(),
            "--batch",
            "16",
            "--threads",
            "1"};
  }

  test::TempDir dir;
};

TEST_F(LeftoversCli, ExtractsToOneOutExcludeEachOtherAndTheNextCleansUpAfterAKill) {
  const fs::path out = dir.path() / "run";
  fs::path staging;
  auto first = start(extract_arguments(out, 400), [&](test::BackgroundProcess& p) {
    staging = out;
    staging += ".tmp-" + std::to_string(p.pid());
    return fs::exists(staging / "qk.safetensors");
  });
  // Two at once: the second fails, with or without --force, and touches nothing of the first's.
  const std::string holder = "cannot write " + out.string() + ": another attnviz process (pid " +
                             std::to_string(first->pid()) + ") is writing it (lock file " + out.string() +
                             ".lock)";
  expect_one_line_error(test::extract_brown_gpt(dir.path(), 6, "--force"), holder);
  expect_one_line_error(test::extract_brown_gpt(dir.path(), 6), holder);
  EXPECT_TRUE(fs::exists(staging / "qk.safetensors"));
  EXPECT_TRUE(first->running());

  first->kill_hard();
  ASSERT_TRUE(fs::exists(staging)) << "kill -9 leaves the staging folder";
  EXPECT_FALSE(fs::exists(out));
  const auto again = test::extract_brown_gpt(dir.path(), 6);  // writes dir/run
  ASSERT_EQ(again.status, 0) << again.text;
  EXPECT_NE(again.err.find("attnviz: removed " + staging.string() +
                           ", left behind by an extract that no longer runs"),
            std::string::npos)
      << again.err;
  EXPECT_FALSE(fs::exists(staging));
  EXPECT_EQ(read_json_file(out / "manifest.json")["sequences"].size(), 6u);
  EXPECT_FALSE(fs::exists(dir.path() / "run.lock")) << "the lock file goes with its job";
}

TEST_F(LeftoversCli, LayoutJobsOnOneRunExcludeEachOtherAndAKilledOnesProgressReadsAsStopped) {
  ASSERT_EQ(test::extract_brown_gpt(dir.path(), 20).status, 0);
  const fs::path run = dir.path() / "run", layouts = run / "layouts";
  auto first = start({"layout", run.string(), "--methods", "tsne", "--dims", "2", "--threads", "1"},
                     [&](test::BackgroundProcess& p) {
                       if (!fs::exists(layouts / "progress.json")) return false;
                       const auto progress = read_json_file(layouts / "progress.json");
                       return progress["writer"]["pid"] == p.pid();
                     });
  EXPECT_TRUE(progress_writer_running(read_json_file(layouts / "progress.json"), unix_seconds_now()));

  const auto second = run_attnviz("layout " + shell_quoted(run) + " --methods pca --dims 2 --heads 0:0");
  expect_one_line_error(second, "cannot write " + layouts.string() + ": another attnviz process (pid " +
                                    std::to_string(first->pid()) + ") is writing it");
  EXPECT_FALSE(fs::exists(layouts / "pca-2d.safetensors"));

  first->kill_hard();
  const auto left = read_json_file(layouts / "progress.json");
  EXPECT_LT(left["tsne-2d"]["done"].get<int>(), left["tsne-2d"]["total"].get<int>()) << "killed mid-way";
  EXPECT_FALSE(progress_writer_running(left, unix_seconds_now())) << "its writer is gone";
  EXPECT_TRUE(fs::exists(layouts / "job.lock")) << "left by kill -9, but it holds no lock";
  // What it would have left had it died while writing its file.
  const fs::path partial = layouts / ("tsne-2d.safetensors.tmp-" + std::to_string(first->pid()));
  test::write_text(partial, "partial");

  const auto third = run_attnviz("layout " + shell_quoted(run) + " --methods pca --dims 2 --heads 0:0,1:1");
  ASSERT_EQ(third.status, 0) << third.text;
  EXPECT_NE(third.err.find("attnviz: removed " + partial.string() +
                           ", left behind by a layout job that no longer runs"),
            std::string::npos)
      << third.err;
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_TRUE(fs::exists(layouts / "pca-2d.safetensors"));
  EXPECT_FALSE(fs::exists(layouts / "job.lock"));
  EXPECT_FALSE(progress_writer_running(read_json_file(layouts / "progress.json"), unix_seconds_now()))
      << "finished";
}

}  // namespace
}  // namespace attnviz
