// Hostile numbers and files given to the real binary (issue 11, items 4 and 9): thread counts far beyond the
// cores or the process limit, and a config.json nested 200,000 deep. Each is a warning or a one-line error,
// never an abort, a crash or a hang.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/json.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

using test::ProcessOutput;
using test::run_attnviz;
using test::shell_quoted;

using test::expect_one_line_error;

class LimitsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("attnviz-limits-cli-" + std::to_string(::getpid()));
    fs::create_directories(root_);
    fs::permissions(root_, fs::perms::all);  // readable by the unprivileged user of the process-limit tests
    const auto r = test::extract_brown_gpt(root_, 6, "--threads 2");
    ASSERT_EQ(r.status, 0) << r.text;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static fs::path brown_gpt() { return fs::path(ATTNVIZ_SOURCE_DIR) / "models" / "brown-gpt"; }

  // `attnviz ARGUMENTS` allowed at most `threads` threads. RLIMIT_NPROC binds neither root nor a user's other
  // processes, so as root the command runs as a user id of its own (setpriv), under which this process is the
  // only one; OpenBLAS starts no threads of its own.
  static ProcessOutput run_limited(int threads, const std::string& arguments) {
    const std::string limit = "prlimit --nproc=" + std::to_string(threads) + " ";
    const std::string id = std::to_string(60000 + ::getpid() % 5000);
    const std::string prefix =
        ::geteuid() == 0 ? "setpriv --reuid=" + id + " --regid=" + id + " --clear-groups " + limit : limit;
    return run_attnviz(arguments, "", "OPENBLAS_NUM_THREADS=1 " + prefix);
  }

  static inline fs::path root_;
};

TEST_F(LimitsCli, ThreadCountsBeyondTheCoresAreLoweredWithAWarning) {
  const fs::path run = root_ / "run-many-threads";
  fs::copy(root_ / "run", run, fs::copy_options::recursive);
  const auto r = run_attnviz("layout " + shell_quoted(run) + " --methods pca --dims 2 --threads 500");
  EXPECT_EQ(r.status, 0) << r.text;
  EXPECT_NE(r.err.find("attnviz: warning: --threads 500 is more than 4 per core"), std::string::npos)
      << r.err;
}

TEST_F(LimitsCli, ThreadsBeyondTheProcessLimitAreAOneLineError) {
  // As root the commands run as another user id, which must be able to reach the binary: a checkout under a
  // folder closed to others (mktemp -d makes them 0700) cannot run this test, and says so.
  const ProcessOutput reachable = run_limited(64, "--version");
  if (reachable.status == 126)
    GTEST_SKIP() << "the unprivileged user id that the process limit needs cannot run the attnviz binary "
                    "(a parent folder closed to others?): "
                 << reachable.text;
  ASSERT_EQ(reachable.status, 0) << reachable.text;
  // Issue 11: serve aborted with an uncaught std::system_error.
  expect_one_line_error(run_limited(8, "serve " + shell_quoted(root_ / "run") + " --port 0 --threads 32"),
                        "cannot start 32 connection threads");
  const fs::path run = root_ / "run-limited";
  fs::copy(root_ / "run", run, fs::copy_options::recursive);
  fs::permissions(run, fs::perms::all);
  expect_one_line_error(run_limited(2, "layout " + shell_quoted(run) + " --methods pca --dims 2 --threads 8"),
                        "cannot start a thread");
  expect_one_line_error(run_limited(2, "extract --model " + shell_quoted(brown_gpt()) + " --input " +
                                           shell_quoted(root_ / "input.txt") + " --out " +
                                           shell_quoted(root_ / "x") + " --threads 8"),
                        "cannot start a thread");
  EXPECT_FALSE(fs::exists(root_ / "x"));
}

TEST_F(LimitsCli, DeeplyNestedConfigIsAOneLineError) {
  const fs::path model = root_ / "deep-model";
  fs::copy(brown_gpt(), model, fs::copy_options::recursive);
  std::ofstream(model / "config.json") << std::string(200000, '[') << std::string(200000, ']');
  const std::string expected = "config.json: nested deeper than " + std::to_string(kMaxJsonDepth);
  expect_one_line_error(run_attnviz("info --model " + shell_quoted(model)), expected);
  expect_one_line_error(
      run_attnviz("extract --model " + shell_quoted(model) + " --input " + shell_quoted(root_ / "input.txt") +
                  " --out " + shell_quoted(root_ / "y")),
      expected);
}

}  // namespace
}  // namespace attnviz
