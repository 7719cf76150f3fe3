#pragma once
// One HTTP connection as cpp-httplib's Stream, for a request that server/connections.cpp hands to a worker
// thread: the bytes read while the request's head was awaited come first, then the socket. The socket is
// non-blocking and waited on with poll(), so a read ends at a deadline, a write gives up after a stall, both
// end within a tick of the server stopping, and no write raises SIGPIPE.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <string>

#include <httplib.h>

namespace attnviz::server {

using Clock = std::chrono::steady_clock;

class SocketStream final : public httplib::Stream {
 public:
  SocketStream(int fd, std::string buffered, Clock::time_point read_deadline,
               std::chrono::milliseconds write_stall, const std::atomic<bool>& stopping);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;         // 0 at the end; -1 past the deadline or stopping
  ssize_t write(const char* ptr, size_t size) override;  // -1 after write_stall without progress
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

  // The bytes read from the socket but not consumed: the start of a pipelined next request.
  std::string take_unread();

 private:
  // Until the socket is ready for `events` (true), the deadline passes or the server stops (false).
  bool wait(short events, Clock::time_point deadline) const;

  int fd_;
  std::string buffered_;
  size_t consumed_ = 0;
  Clock::time_point read_deadline_;
  std::chrono::milliseconds write_stall_;
  const std::atomic<bool>& stopping_;
};

}  // namespace attnviz::server
