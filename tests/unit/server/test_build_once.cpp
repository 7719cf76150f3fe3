// BuildOnce (server/build_once.hpp): callers during a build get that build's value instead of building again;
// a build that throws is tried again by the next caller, and those that waited on it get its exception.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include "server/build_once.hpp"

namespace attnviz::test {
namespace {

TEST(BuildOnce, CallersDuringABuildGetItsValue) {
  server::BuildOnce<int> once;
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> builds = 0;
  std::shared_ptr<const int> first, second;
  std::thread builder([&] {
    first = once.get([&] {
      ++builds;
      started.set_value();
      released.wait();
      return std::make_shared<const int>(7);
    });
  });
  started.get_future().wait();
  EXPECT_EQ(once.ready(), nullptr) << "being built, not built";
  std::thread waiter([&] { second = once.get([&] { return ++builds, std::make_shared<const int>(8); }); });
  release.set_value();
  builder.join();
  waiter.join();
  EXPECT_EQ(builds, 1);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first, second);
  EXPECT_EQ(*once.ready(), 7);
}

TEST(BuildOnce, AFailedBuildIsTriedAgain) {
  server::BuildOnce<int> once;
  EXPECT_THROW(once.get([]() -> std::shared_ptr<const int> { throw std::runtime_error("no"); }),
               std::runtime_error);
  EXPECT_EQ(once.ready(), nullptr);
  EXPECT_EQ(*once.get([] { return std::make_shared<const int>(3); }), 3);
}

}  // namespace
}  // namespace attnviz::test
