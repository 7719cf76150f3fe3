// attnviz serve as a user runs it: the real binary over a run that `attnviz extract` made from brown-gpt.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;

struct Output {
  int status = -1;
  std::string text;  // stdout and stderr together
};

Output run_binary(const std::string& arguments) {
  Output out;
  FILE* pipe = ::popen((std::string(ATTNVIZ_BINARY) + " " + arguments + " 2>&1").c_str(), "r");
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) out.text.append(buffer, n);
  const int status = ::pclose(pipe);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// A socket listening on a free 127.0.0.1 port, held until destroyed.
struct Listener {
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(fd, 4);
    socklen_t size = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd); }
  int fd = -1, port = 0;
};

int free_port() { return Listener().port; }

// One small brown-gpt run, extracted once for every test of this file.
class ServeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir = fs::temp_directory_path() / ("attnviz-serve-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ifstream source(fs::path(ATTNVIZ_SOURCE_DIR) / "data" / "brown_eval.txt");
    std::ofstream input(dir / "input.txt");
    std::string line;
    for (int i = 0; i < 4 && std::getline(source, line); ++i) input << line << "\n";
    input.close();
    extracted =
        run_binary("extract --model " + std::string(ATTNVIZ_SOURCE_DIR) + "/models/brown-gpt --input " +
                   (dir / "input.txt").string() + " --out " + (dir / "run").string());
  }
  static void TearDownTestSuite() { fs::remove_all(dir); }
  void SetUp() override { ASSERT_EQ(extracted.status, 0) << extracted.text; }

  static inline fs::path dir;
  static inline Output extracted;
};

TEST_F(ServeCli, ABadRunDirectoryIsAOneLineError) {
  auto out = run_binary("serve " + (dir / "no-such-run").string() + " --port " + std::to_string(free_port()));
  EXPECT_NE(out.status, 0);
  EXPECT_EQ(out.text.rfind("attnviz: error: ", 0), 0u) << out.text;
  EXPECT_EQ(out.text.find('\n'), out.text.size() - 1) << "one line: " << out.text;
  EXPECT_NE(out.text.find("no-such-run"), std::string::npos) << out.text;
}

TEST_F(ServeCli, APortInUseSuggestsAnotherPort) {
  Listener taken;
  auto out = run_binary("serve " + (dir / "run").string() + " --port " + std::to_string(taken.port));
  EXPECT_EQ(out.status, 1);
  const std::string expected =
      "attnviz: error: port " + std::to_string(taken.port) + " on 127.0.0.1 is in use; try --port ";
  EXPECT_EQ(out.text.rfind(expected, 0), 0u) << out.text;
  EXPECT_EQ(out.text.find('\n'), out.text.size() - 1) << "one line: " << out.text;
}

TEST_F(ServeCli, ServesTheRunAndStopsOnSigint) {
  const int port = free_port();
  const fs::path log = dir / "serve.log";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    ::dup2(::fileno(out), 2);
    ::execl(ATTNVIZ_BINARY, ATTNVIZ_BINARY, "serve", (dir / "run").c_str(), "--port",
            std::to_string(port).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  httplib::Client client("127.0.0.1", port);
  auto result = client.Get("/api/run");
  for (int attempt = 0; attempt < 200 && !result; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    result = client.Get("/api/run");
  }
  ASSERT_TRUE(result) << "attnviz serve did not answer";
  EXPECT_EQ(result->status, 200);
  auto run = nlohmann::json::parse(result->body);
  EXPECT_EQ(run["manifest"]["model"]["model_type"], "gpt2");
  EXPECT_EQ(run["manifest"]["sequences"].size(), 4u);
  auto attention = client.Get("/api/attention/5/7/3");
  ASSERT_TRUE(attention);
  EXPECT_EQ(attention->status, 200);

  ::kill(pid, SIGINT);
  int status = 0;
  pid_t done = 0;
  for (int attempt = 0; attempt < 200 && (done = ::waitpid(pid, &status, WNOHANG)) == 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_EQ(done, pid) << "attnviz serve did not stop on SIGINT";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream printed(log);
  std::string first_line;
  std::getline(printed, first_line);
  EXPECT_NE(first_line.find("http://127.0.0.1:" + std::to_string(port) + "/"), std::string::npos)
      << first_line;
}

}  // namespace
