#pragma once
// Running the real attnviz binary (ATTNVIZ_BINARY) as a user does: to completion, or in the background until
// told to stop; and free ports for its servers.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace attnviz::test {

struct ProcessOutput {
  int status = -1;  // exit code; -1 when killed by a signal
  std::string out, err;
  std::string text;  // stdout then stderr
};

// The pid of a process that has ended (a child forked and reaped), for what a killed process left behind.
inline long ended_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

// A path as one shell word.
inline std::string shell_quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// Runs `attnviz ARGUMENTS` through the shell (arguments are shell words) with `input` on stdin, and collects
// stdout and stderr apart. `prefix`: shell words before the binary (variables, a wrapper such as prlimit).
inline ProcessOutput run_attnviz(const std::string& arguments, const std::string& input = "",
                                 const std::string& prefix = "") {
  static int calls = 0;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("attnviz-cli-" + std::to_string(::getpid()) + "-" + std::to_string(calls++));
  std::filesystem::create_directories(dir);
  write_text(dir / "stdin", input);
  const std::string command = prefix + std::string(ATTNVIZ_BINARY) + " " + arguments + " <'" +
                              (dir / "stdin").string() + "' >'" + (dir / "stdout").string() + "' 2>'" +
                              (dir / "stderr").string() + "'";
  const int status = std::system(command.c_str());
  ProcessOutput out{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(dir / "stdout"),
                    read_text(dir / "stderr"), ""};
  out.text = out.out + out.err;
  std::filesystem::remove_all(dir);
  return out;
}

// A failed command's output: exit status 1 and one line, "attnviz: error: ..." containing `needle`.
inline void expect_one_line_error(const ProcessOutput& r, const std::string& needle) {
  EXPECT_EQ(r.status, 1) << r.text;
  EXPECT_EQ(r.text.rfind("attnviz: error: ", 0), 0u) << r.text;
  EXPECT_EQ(std::count(r.text.begin(), r.text.end(), '\n'), 1) << r.text;
  EXPECT_NE(r.text.find(needle), std::string::npos) << r.text;
}

// `attnviz extract` of the first `lines` lines of the held-out Brown sentences (data/brown_eval.txt; blank
// lines are skipped) with a bundled model (brown-gpt, brown-bert): writes dir/input.txt and the run dir/run.
inline ProcessOutput extract_brown(const std::string& model, const std::filesystem::path& dir, int lines,
                                   const std::string& flags = "") {
  const std::filesystem::path source = ATTNVIZ_SOURCE_DIR;
  std::string text = read_text(source / "data" / "brown_eval.txt"), head;
  for (size_t at = 0; lines-- > 0 && at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size() - 1) + 1;
    head += text.substr(at, end - at);
    at = end;
  }
  write_text(dir / "input.txt", head);
  return run_attnviz("extract --model " + shell_quoted(source / "models" / model) + " --input " +
                     shell_quoted(dir / "input.txt") + " --out " + shell_quoted(dir / "run") + " " + flags);
}

inline ProcessOutput extract_brown_gpt(const std::filesystem::path& dir, int lines,
                                       const std::string& flags = "") {
  return extract_brown("brown-gpt", dir, lines, flags);
}

// A socket listening on a free 127.0.0.1 port, held until destroyed; `backlog` connections may wait.
struct Listener {
  explicit Listener(int backlog = 4) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(fd, backlog);
    socklen_t size = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int fd = -1, port = 0;
};

inline int free_port() { return Listener().port; }

// `attnviz ARGUMENTS...` in the background, its stdout and stderr going to a log file. Killed if still
// running when destroyed.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& arguments, std::filesystem::path log)
      : log_(std::move(log)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* out = std::freopen(log_.c_str(), "w", stdout);
      ::dup2(::fileno(out), 2);
      std::vector<char*> argv{const_cast<char*>(ATTNVIZ_BINARY)};
      for (const auto& a : arguments) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(ATTNVIZ_BINARY, argv.data());
      ::_exit(127);
    }
  }
  ~BackgroundProcess() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  std::string log() const { return read_text(log_); }

  // Waits until the log holds `text` or the process has ended; true when the text appeared.
  bool wait_for(const std::string& text, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (log().find(text) != std::string::npos) return true;
      if (!running()) return log().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Sends SIGINT and waits; the exit code, or -1 when it had to be killed.
  int interrupt(std::chrono::seconds timeout = std::chrono::seconds(20)) {
    if (running()) ::kill(pid_, SIGINT);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (running()) return -1;  // the destructor kills it
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

  // Ends it with SIGKILL, as a crash or an out-of-memory kill would, and waits for it.
  void kill_hard() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    exited_ = true;
  }

  pid_t pid() const { return pid_; }

  bool running() {
    if (exited_) return false;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }

  int exit_code() { return !running() && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

}  // namespace attnviz::test
