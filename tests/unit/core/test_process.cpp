// process.hpp and remove_stale_temporaries: the exclusive lock a job holds on its output, and the leftovers
// of processes that were killed.
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/process.hpp"
#include "support/error_of.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

TEST(Process, AliveIsTrueForThisProcessAndFalseForAnEndedOne) {
  EXPECT_TRUE(process_alive(::getpid()));
  EXPECT_TRUE(process_alive(1)) << "another user's process (EPERM) still counts";
  EXPECT_FALSE(process_alive(test::ended_pid()));
  EXPECT_FALSE(process_alive(0));
  EXPECT_FALSE(process_alive(-1)) << "kill(-1, 0) would ask about every process";
  EXPECT_FALSE(process_alive(1L << 40));
}

TEST(FileLock, ASecondHolderFailsNamingTheFirstAndTakesOverOnceReleased) {
  test::TempDir dir;
  const fs::path path = dir.path() / "out.lock";
  {
    FileLock first(path, "out");
    EXPECT_EQ(test::read_text(path), std::to_string(::getpid()));
    // flock locks belong to the open file, so a second open in the same process conflicts as another
    // process's would (test_leftovers_cli.cpp checks two processes).
    const std::string message = test::error_of([&] { FileLock second(path, "out"); });
    EXPECT_EQ(message, "cannot write out: another attnviz process (pid " + std::to_string(::getpid()) +
                           ") is writing it (lock file " + path.string() +
                           "); wait for it to finish or stop it");
  }
  EXPECT_FALSE(fs::exists(path)) << "released and removed";
  test::write_text(path, "12345");  // left behind by a killed holder: the kernel dropped its lock
  {
    FileLock again(path, "out");
    EXPECT_EQ(test::read_text(path), std::to_string(::getpid()));
  }
  EXPECT_NE(test::error_of([&] {
              FileLock lock(dir.path() / "missing" / "x.lock", "x");
            }).find("cannot create the lock file"),
            std::string::npos);
}

TEST(StaleTemporaries, OnlyThoseOfEndedProcessesAreRemoved) {
  test::TempDir dir;
  const fs::path run = dir.path() / "run";
  const fs::path dead = dir.path() / ("run.tmp-" + std::to_string(test::ended_pid()));
  const fs::path alive = dir.path() / ("run.tmp-" + std::to_string(::getpid()));
  const fs::path file = dir.path() / ("run.tmp-" + std::to_string(test::ended_pid()) + "x");  // not a pid
  const fs::path other = dir.path() / ("runs.tmp-" + std::to_string(test::ended_pid()));      // another name
  fs::create_directories(dead / "inner");
  test::write_text(dead / "inner" / "qk.safetensors", "partial");
  fs::create_directories(alive);
  test::write_text(file, "");
  test::write_text(other, "");
  EXPECT_EQ(remove_stale_temporaries(run), std::vector<fs::path>{dead});
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(alive) && fs::exists(file) && fs::exists(other));
  EXPECT_TRUE(remove_stale_temporaries(dir.path() / "missing" / "run").empty());
}

}  // namespace
}  // namespace attnviz
