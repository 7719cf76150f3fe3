// layouts/progress.json (progress_file.hpp): a reader counts its writer as running only while the heartbeat
// is recent and, on this machine, the pid alive.
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/process.hpp"
#include "layout/progress_file.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace attnviz {
namespace {

nlohmann::json progress(long pid, double heartbeat, const std::string& host) {
  return {{"pca-2d", {{"done", 1}, {"total", 2}}},
          {"writer", {{"pid", pid}, {"host", host}, {"heartbeat", heartbeat}}}};
}

TEST(ProgressFile, WrittenWithThisProcessAsWriter) {
  test::TempDir dir;
  write_progress_file(dir.path() / "progress.json", {{"tsne-2d", {{"done", 3}, {"total", 8}}}});
  const auto doc = read_json_file(dir.path() / "progress.json");
  EXPECT_EQ(doc["tsne-2d"]["done"], 3);
  EXPECT_EQ(doc["writer"]["pid"], ::getpid());
  EXPECT_EQ(doc["writer"]["host"], host_name());
  EXPECT_NEAR(doc["writer"]["heartbeat"].get<double>(), unix_seconds_now(), 5.0);
  EXPECT_TRUE(progress_writer_running(doc, unix_seconds_now()));
}

TEST(ProgressFile, ADeadOrSilentWriterIsStopped) {
  const double now = unix_seconds_now();
  const long self = ::getpid();
  EXPECT_TRUE(progress_writer_running(progress(self, now - 1, host_name()), now));
  EXPECT_FALSE(progress_writer_running(progress(test::ended_pid(), now - 1, host_name()), now)) << "killed";
  EXPECT_FALSE(progress_writer_running(progress(self, now - kHeartbeatTimeoutSeconds - 1, host_name()), now))
      << "alive but silent (hung, or the pid was reused)";
  EXPECT_FALSE(progress_writer_running(progress(self, now + 3600, host_name()), now)) << "a clock set wrong";
  // Another machine's pid says nothing here: its heartbeat decides.
  EXPECT_TRUE(
      progress_writer_running(progress(test::ended_pid(), now - 1, "another-host." + host_name()), now));
  EXPECT_FALSE(progress_writer_running(progress(self, now - 60, "another-host." + host_name()), now));
}

TEST(ProgressFile, AMalformedWriterIsStopped) {
  const double now = unix_seconds_now();
  for (const char* text : {R"({"pca-2d": {"done": 1, "total": 2}})", R"([])", R"(null)", R"({"writer": 7})",
                           R"({"writer": {"pid": "1", "heartbeat": 0}})", R"({"writer": {"pid": 1}})",
                           R"({"writer": {"pid": -5, "heartbeat": 1e300}})",
                           R"({"writer": {"pid": 99999999999999999999, "heartbeat": 0}})"})
    EXPECT_FALSE(progress_writer_running(nlohmann::json::parse(text), now)) << text;
}

}  // namespace
}  // namespace attnviz
