#include <atomic>
#include <csignal>
#include <regex>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/parallel.hpp"
#include "core/progress.hpp"

namespace attnviz {
namespace {

TEST(Parallel, VisitsEveryIndexOnce) {
  EXPECT_GE(default_threads(), 1);
  for (int threads : {0, 1, 2, 7, 64}) {
    for (int64_t n : {0, 1, 5, 1000}) {
      std::vector<std::atomic<int>> visits(static_cast<size_t>(n));
      parallel_for(n, threads, [&](int64_t i) { visits[static_cast<size_t>(i)]++; });
      for (const auto& count : visits) ASSERT_EQ(count.load(), 1) << threads << " threads, n " << n;
    }
  }
}

TEST(Parallel, RethrowsTheFirstErrorAfterJoining) {
  std::atomic<int> finished = 0;
  try {
    parallel_for(100, 4, [&](int64_t i) {
      if (i == 30) throw Error("item 30 failed");
      finished++;
    });
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "item 30 failed");
  }
  EXPECT_GE(finished.load(), 75);  // the other three chunks ran to the end
  EXPECT_THROW(parallel_for(3, 1, [](int64_t) { throw Error("inline"); }), Error);
}

TEST(Progress, PrintsAFinalLineWhenNotATerminal) {
  ::testing::internal::CaptureStderr();
  {
    Progress progress("loading", 3, "files");
    progress.advance();
    progress.advance(2);
  }  // the destructor finishes
  const std::string output = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(std::regex_match(output, std::regex(R"(loading 3/3 files, [0-9.]+ files/s, took 0:00\n)")))
      << output;
}

TEST(Progress, AdvanceIsThreadSafe) {
  ::testing::internal::CaptureStderr();
  {
    Progress progress("tokens", 0);
    parallel_for(8000, 4, [&](int64_t) { progress.advance(); });
    progress.finish();
    progress.finish();  // a second finish prints nothing
  }
  const std::string output = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(std::regex_match(output, std::regex(R"(tokens 8000, [0-9.]+/s, took 0:00\n)"))) << output;
}

TEST(Interrupt, SignalSetsTheFlag) {
  install_interrupt_handler();
  EXPECT_FALSE(interrupted());
  EXPECT_NO_THROW(throw_if_interrupted());
  std::raise(SIGINT);
  EXPECT_TRUE(interrupted());
  try {
    throw_if_interrupted();
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "interrupted");
  }
}

}  // namespace
}  // namespace attnviz
