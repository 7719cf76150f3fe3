// attnviz serve as a user runs it: the real binary over a run that `attnviz extract` made from brown-gpt.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;

using attnviz::test::BackgroundProcess;
using attnviz::test::free_port;
using attnviz::test::Listener;
using attnviz::test::ProcessOutput;
using attnviz::test::run_attnviz;

// GET `path` from a server that is starting: retried for up to 10 s while nothing listens.
httplib::Result get_once_up(httplib::Client& client, const char* path) {
  auto result = client.Get(path);
  for (int attempt = 0; attempt < 200 && !result; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    result = client.Get(path);
  }
  return result;
}

// One small brown-gpt run, extracted once for every test of this file.
class ServeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp = std::make_unique<attnviz::test::TempDir>();
    dir = temp->path();
    extracted = attnviz::test::extract_brown_gpt(dir, 4);
  }
  static void TearDownTestSuite() { temp.reset(); }
  void SetUp() override { ASSERT_EQ(extracted.status, 0) << extracted.err; }

  static inline std::unique_ptr<attnviz::test::TempDir> temp;
  static inline fs::path dir;
  static inline ProcessOutput extracted;
};

TEST_F(ServeCli, ABadRunDirectoryIsAOneLineError) {
  auto out =
      run_attnviz("serve " + (dir / "no-such-run").string() + " --port " + std::to_string(free_port()));
  EXPECT_NE(out.status, 0);
  EXPECT_EQ(out.err.rfind("attnviz: error: ", 0), 0u) << out.err;
  EXPECT_EQ(out.err.find('\n'), out.err.size() - 1) << "one line: " << out.err;
  EXPECT_NE(out.err.find("no-such-run"), std::string::npos) << out.err;
}

TEST_F(ServeCli, AMissingWebFolderIsAOneLineErrorNamingTheFlag) {
  auto out = run_attnviz("serve " + (dir / "run").string() + " --web " + (dir / "no-such-web").string());
  EXPECT_NE(out.status, 0);
  EXPECT_EQ(out.err.rfind("attnviz: error: --web", 0), 0u) << out.err;
  EXPECT_EQ(out.err.find('\n'), out.err.size() - 1) << "one line: " << out.err;
  EXPECT_NE(out.err.find("no-such-web"), std::string::npos) << out.err;
}

TEST_F(ServeCli, APortInUseSuggestsAnotherPort) {
  Listener taken;
  auto out = run_attnviz("serve " + (dir / "run").string() + " --port " + std::to_string(taken.port));
  EXPECT_EQ(out.status, 1);
  const std::string expected =
      "attnviz: error: port " + std::to_string(taken.port) + " on 127.0.0.1 is in use; port ";
  EXPECT_EQ(out.err.rfind(expected, 0), 0u) << out.err;
  EXPECT_EQ(out.err.find('\n'), out.err.size() - 1) << "one line: " << out.err;
}

TEST_F(ServeCli, ServesTheRunAndStopsOnSigint) {
  const int port = free_port();
  BackgroundProcess server({"serve", (dir / "run").string(), "--port", std::to_string(port)},
                           dir / "serve.log");
  httplib::Client client("127.0.0.1", port);
  auto result = get_once_up(client, "/api/run");
  ASSERT_TRUE(result) << "attnviz serve did not answer";
  EXPECT_EQ(result->status, 200);
  auto run = nlohmann::json::parse(result->body);
  EXPECT_EQ(run["manifest"]["model"]["model_type"], "gpt2");
  EXPECT_EQ(run["manifest"]["sequences"].size(), 4u);
  auto attention = client.Get("/api/attention/5/7/3");
  ASSERT_TRUE(attention);
  EXPECT_EQ(attention->status, 200);

  EXPECT_EQ(server.interrupt(std::chrono::seconds(10)), 0) << "attnviz serve did not stop on SIGINT";
  const std::string log = server.log();
  const std::string first_line = log.substr(0, log.find('\n'));
  EXPECT_NE(first_line.find("http://127.0.0.1:" + std::to_string(port) + "/"), std::string::npos)
      << first_line;
}

TEST_F(ServeCli, SeveralRunsOrAFolderOfRunsAreServedEachUnderItsName) {
  const int port = free_port();
  BackgroundProcess server({"serve", (dir / "run").string(), dir.string(), "--port", std::to_string(port)},
                           dir / "runs.log");
  httplib::Client client("127.0.0.1", port);
  auto result = get_once_up(client, "/api/runs");
  ASSERT_TRUE(result) << "attnviz serve did not answer";
  ASSERT_EQ(result->status, 200) << result->body;
  const auto runs = nlohmann::json::parse(result->body)["runs"];
  ASSERT_EQ(runs.size(), 2u) << "the run, and the folder holding it: " << result->body;
  EXPECT_EQ(runs[0]["name"], "run");
  EXPECT_EQ(runs[1]["name"], "run-2");
  EXPECT_EQ(client.Get("/api/runs/run-2/attention/5/7/3")->body, client.Get("/api/attention/5/7/3")->body);
  EXPECT_EQ(server.interrupt(std::chrono::seconds(10)), 0);
}

TEST_F(ServeCli, AFolderWithoutRunsOrAModelForSeveralRunsIsAOneLineError) {
  fs::create_directories(dir / "no-runs-here" / "inner");
  const std::string run = (dir / "run").string();
  const auto empty = run_attnviz("serve " + run + " " + (dir / "no-runs-here").string());
  EXPECT_EQ(empty.status, 1);
  EXPECT_EQ(empty.err.rfind("attnviz: error: ", 0), 0u) << empty.err;
  EXPECT_NE(empty.err.find("no-runs-here: not a run"), std::string::npos) << empty.err;
  EXPECT_EQ(empty.err.find('\n'), empty.err.size() - 1) << "one line: " << empty.err;
  const auto model = run_attnviz("serve " + run + " " + run + " --model some/model");
  EXPECT_NE(model.status, 0);
  EXPECT_EQ(model.err.rfind("attnviz: error: --model", 0), 0u) << model.err;
  EXPECT_EQ(model.err.find('\n'), model.err.size() - 1) << "one line: " << model.err;
}

// The first line a background server prints, once it has printed one.
std::string first_line(BackgroundProcess& server) {
  if (!server.wait_for("\n", std::chrono::seconds(20))) return "";
  const std::string log = server.log();
  return log.substr(0, log.find('\n'));
}

TEST_F(ServeCli, BeyondLoopbackWarnsAndATokenIsPrintedInTheUrl) {
  // Tests listen on 127.0.0.1 only: an address of no interface here (TEST-NET-1) shows the warning, then
  // fails to bind.
  const auto exposed = run_attnviz("serve " + (dir / "run").string() + " --host 192.0.2.1 --port " +
                                   std::to_string(free_port()));
  EXPECT_EQ(exposed.status, 1);
  EXPECT_EQ(exposed.err.rfind("attnviz: warning: listening on 192.0.2.1, beyond this machine's loopback", 0),
            0u)
      << exposed.err;
  EXPECT_NE(exposed.err.find("add --token auto"), std::string::npos) << exposed.err;
  EXPECT_EQ(run_attnviz("serve " + (dir / "run").string() + " --host 192.0.2.1 --token auto --port " +
                        std::to_string(free_port()))
                .err.find("warning"),
            std::string::npos);

  const int second = free_port();
  BackgroundProcess guarded(
      {"serve", (dir / "run").string(), "--port", std::to_string(second), "--token", "auto"},
      dir / "token.log");
  const std::string line = first_line(guarded);
  const std::string prefix = "http://127.0.0.1:" + std::to_string(second) + "/?token=";
  const size_t at = line.find(prefix);
  ASSERT_NE(at, std::string::npos) << line;
  const std::string token = line.substr(at + prefix.size(), 64);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << line;
  EXPECT_EQ(line.find("warning"), std::string::npos) << line;
  httplib::Client client("127.0.0.1", second);
  EXPECT_EQ(client.Get("/api/run")->status, 401);
  EXPECT_EQ(client.Get("/api/run", {{"Authorization", "Bearer " + token}})->status, 200);
  EXPECT_EQ(guarded.interrupt(std::chrono::seconds(10)), 0);
}

TEST_F(ServeCli, TheTokenCanComeFromTheEnvironment) {
  const int port = free_port();
  ::setenv("ATTNVIZ_TOKEN", "from-the-environment-0123", 1);
  BackgroundProcess server({"serve", (dir / "run").string(), "--port", std::to_string(port)},
                           dir / "env.log");
  ::unsetenv("ATTNVIZ_TOKEN");
  EXPECT_NE(first_line(server).find("?token=from-the-environment-0123"), std::string::npos) << server.log();
  httplib::Client client("127.0.0.1", port);
  EXPECT_EQ(client.Get("/api/run?token=from-the-environment-0123")->status, 200);
  EXPECT_EQ(client.Get("/api/run")->status, 401);
  EXPECT_EQ(server.interrupt(std::chrono::seconds(10)), 0);
}

}  // namespace
