#pragma once
// The connections of the HTTP server, so that slow or idle clients cannot stall the others. A connection
// holds a worker thread only while one of its requests is being answered: until a request's line and headers
// have all arrived, and between keep-alive requests, it waits in a single poll() loop that costs it a file
// descriptor and its buffered bytes. cpp-httplib parses and answers each request (SocketStream hands it the
// bytes); this file decides when a connection gets a worker and when it is closed:
//   - a request head must arrive within head_timeout of its first byte (else 408) and fit max_head_bytes
//     (else 431); a connection with nothing pending is closed after idle_timeout;
//   - at most max_connections are open: a new one beyond that closes the longest-idle connection that has
//     nothing pending, or is answered 503 when every one is busy;
//   - a worker reads a request's body until body_timeout after its head arrived, and gives up a response
//     when the client takes nothing for write_stall;
//   - a connection the server ends (after "Connection: close", an unread body, a refusal) is shut for
//     writing and drained for up to linger before it is closed, so that the client reads the last answer
//     instead of a reset.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/socket_stream.hpp"

namespace attnviz::server {

struct ConnectionLimits {
  int workers = 16;                  // requests answered at once
  int max_connections = 512;         // keeps descriptors well below select()'s 1024, which httplib checks
  size_t max_head_bytes = 32 << 10;  // request line and headers; httplib caps each line at 8 KiB
  std::chrono::milliseconds head_timeout{10'000}, idle_timeout{5'000}, body_timeout{10'000},
      write_stall{5'000}, linger{1'000};
  int max_requests = 1000;  // per connection, as the Keep-Alive header announces
};

class Connections {
 public:
  // Answers one request from the stream; `last`: the connection is closed after it. Returns whether the
  // connection may carry another request.
  using Answer = std::function<bool(SocketStream& stream, bool last)>;

  // Starts the poll loop and the workers; Error when a thread cannot be started.
  Connections(ConnectionLimits limits, Answer answer);
  ~Connections();  // stop()
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

  void add(int fd);  // a socket just accepted, owned from now on; thread-safe
  // Closes every waiting connection at once, lets the requests being answered finish (their reads and
  // writes end within a tick), joins the threads. Idempotent.
  void stop();

 private:
  struct Connection {
    int fd = -1;
    std::string buffer;          // bytes received and not yet handed to a request
    Clock::time_point deadline;  // idle, head or linger deadline, whichever applies
    int requests = 0;
    bool closing = false;  // shut for writing; what arrives is dropped until the client closes
  };
  enum class Step { Wait, Ready, Closed, TooLarge };

  void poll_loop();
  void worker_loop();
  void admit_inbox();
  void admit_new(int fd);
  bool evict_idle();
  Step receive(Connection& connection);
  Step drain(Connection& connection);
  void end(Connection& connection);
  void dispatch(Connection connection);
  bool serve(Connection& connection);
  bool next_head_arrives(Connection& connection);
  void finish(Connection connection, bool keep);
  void close(Connection& connection);
  void refuse(Connection& connection, int status, const std::string& message);
  void refuse_too_large(Connection& connection);
  void wake();
  void stop_threads();

  ConnectionLimits limits_;
  Answer answer_;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> open_ = 0;  // connections admitted and not closed yet
  int wake_fd_ = -1;           // eventfd: the poll loop has something in its inbox

  std::vector<Connection> waiting_;  // owned by the poll loop

  std::mutex inbox_mutex_;
  std::vector<int> new_fds_;
  std::vector<Connection> returned_;  // kept alive after a request

  std::mutex work_mutex_;
  std::condition_variable work_ready_;
  std::deque<Connection> work_;

  std::mutex stop_mutex_;
  std::thread poller_;
  std::vector<std::thread> workers_;
};

}  // namespace attnviz::server
