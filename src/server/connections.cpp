#include "server/connections.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace attnviz::server {

namespace {

using std::chrono::milliseconds;

// How long a worker waits for a keep-alive client's next request before handing the connection back.
constexpr milliseconds kFastPath{2};

// Whether a request's line and headers have all arrived: an empty line ends them (httplib reads up to
// there). `from`: bytes before it were already searched.
bool head_complete(const std::string& buffer, size_t from) {
  if (buffer.rfind("\r\n", 0) == 0) return true;  // an empty request line: httplib answers 400
  return buffer.find("\n\r\n", from >= 2 ? from - 2 : 0) != std::string::npos;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Service Unavailable";
  }
}

}  // namespace

Connections::Connections(ConnectionLimits limits, Answer answer)
    : limits_(limits), answer_(std::move(answer)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw Error(std::string("cannot create an eventfd: ") + std::strerror(errno));
  try {
    poller_ = start_thread([this] { poll_loop(); });
    for (int i = 0; i < limits_.workers; ++i) workers_.push_back(start_thread([this] { worker_loop(); }));
  } catch (const Error& e) {
    stop_threads();
    ::close(wake_fd_);
    throw Error("cannot start " + std::to_string(limits_.workers) + " connection threads (" + e.what() + ")");
  }
}

Connections::~Connections() {
  stop();
  ::close(wake_fd_);
}

void Connections::add(int fd) {
  {
    std::lock_guard lock(inbox_mutex_);
    new_fds_.push_back(fd);
  }
  wake();
}

void Connections::stop() {
  std::lock_guard lock(stop_mutex_);
  stop_threads();
  // What the threads left behind: connections queued for a worker, handed back after a request, or added
  // after the poll loop ended.
  std::scoped_lock queues(work_mutex_, inbox_mutex_);
  for (Connection& connection : work_) close(connection);
  work_.clear();
  for (Connection& connection : returned_) close(connection);
  returned_.clear();
  for (int fd : new_fds_) ::close(fd);
  new_fds_.clear();
}

void Connections::stop_threads() {
  {
    std::lock_guard lock(work_mutex_);  // a worker between its check and its wait must not miss the news
    stopping_ = true;
  }
  wake();
  work_ready_.notify_all();
  if (poller_.joinable()) poller_.join();
  for (std::thread& worker : workers_)
    if (worker.joinable()) worker.join();
}

void Connections::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof(one));
}

// The poll loop: waits for bytes on every waiting connection, hands a connection whose request head is
// complete to the workers, and enforces the head, idle and size limits.
void Connections::poll_loop() {
  std::vector<pollfd> fds;
  while (!stopping_) {
    admit_inbox();
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    auto next_deadline = Clock::now() + milliseconds(1000);
    for (const Connection& connection : waiting_) {
      fds.push_back(pollfd{connection.fd, POLLIN, 0});
      next_deadline = std::min(next_deadline, connection.deadline);
    }
    const auto wait = std::chrono::ceil<milliseconds>(next_deadline - Clock::now()).count();
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(wait, 0))) < 0 && errno != EINTR)
      break;
    if (fds[0].revents) {
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t read = ::read(wake_fd_, &count, sizeof(count));
    }
    std::vector<Connection> still_waiting;
    const auto now = Clock::now();
    for (size_t i = 0; i < waiting_.size(); ++i) {
      Connection& connection = waiting_[i];
      Step step = Step::Wait;
      if (fds[i + 1].revents) step = connection.closing ? drain(connection) : receive(connection);
      if (step == Step::Ready) {
        dispatch(std::move(connection));
        continue;
      }
      if (step == Step::Closed || (now >= connection.deadline && connection.buffer.empty())) {
        close(connection);  // gone, idle for too long, or done lingering
        continue;
      }
      if (step == Step::TooLarge) {
        refuse_too_large(connection);
      } else if (now >= connection.deadline) {
        refuse(connection, 408,
               "the request line and headers did not arrive within " +
                   std::to_string(limits_.head_timeout.count()) + " ms");
      }
      still_waiting.push_back(std::move(connection));
    }
    waiting_.swap(still_waiting);
  }
  for (Connection& connection : waiting_) close(connection);
  waiting_.clear();
}

void Connections::admit_inbox() {
  std::vector<int> fds;
  std::vector<Connection> returned;
  {
    std::lock_guard lock(inbox_mutex_);
    fds.swap(new_fds_);
    returned.swap(returned_);
  }
  for (Connection& connection : returned) {
    if (!connection.closing && !connection.buffer.empty() && head_complete(connection.buffer, 0)) {
      dispatch(std::move(connection));  // a pipelined request arrived with the previous one
      continue;
    }
    if (!connection.closing && connection.buffer.size() > limits_.max_head_bytes)
      refuse_too_large(connection);
    waiting_.push_back(std::move(connection));
  }
  for (int fd : fds) admit_new(fd);
}

void Connections::admit_new(int fd) {
  Connection connection{fd, {}, Clock::now() + limits_.idle_timeout, 0};
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const bool full = open_ >= limits_.max_connections && !evict_idle();
  ++open_;
  if (full) {
    refuse(
        connection, 503,
        "the server has " + std::to_string(limits_.max_connections) + " connections open; try again shortly");
  }
  waiting_.push_back(std::move(connection));
}

// Closes a connection that is lingering, or else the one that has waited longest with nothing pending, to
// make room; false when there is none.
bool Connections::evict_idle() {
  auto oldest = waiting_.end();
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->closing) {
      oldest = it;
      break;
    }
    if (it->buffer.empty() && (oldest == waiting_.end() || it->deadline < oldest->deadline)) oldest = it;
  }
  if (oldest == waiting_.end()) return false;
  close(*oldest);
  waiting_.erase(oldest);
  return true;
}

Connections::Step Connections::receive(Connection& connection) {
  char chunk[16 << 10];
  while (true) {
    const ssize_t count = ::recv(connection.fd, chunk, sizeof(chunk), 0);
    if (count == 0) return Step::Closed;  // the client is gone; a half-sent head goes with it
    if (count < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? Step::Wait : Step::Closed;
    }
    const size_t searched = connection.buffer.size();
    if (searched == 0) connection.deadline = Clock::now() + limits_.head_timeout;  // a request has begun
    connection.buffer.append(chunk, static_cast<size_t>(count));
    if (head_complete(connection.buffer, searched)) return Step::Ready;
    if (connection.buffer.size() > limits_.max_head_bytes) return Step::TooLarge;
  }
}

// Drops what a connection that is being ended still sends: Closed when the client has closed too, or has sent
// more than anyone would by mistake.
Connections::Step Connections::drain(Connection& connection) {
  char chunk[16 << 10];
  for (int reads = 0; reads < 64; ++reads) {
    const ssize_t count = ::recv(connection.fd, chunk, sizeof(chunk), 0);
    if (count > 0) continue;
    if (count < 0 && errno == EINTR) continue;
    return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Step::Wait : Step::Closed;
  }
  return Step::Closed;
}

void Connections::dispatch(Connection connection) {
  {
    std::lock_guard lock(work_mutex_);
    work_.push_back(std::move(connection));
  }
  work_ready_.notify_one();
}

void Connections::worker_loop() {
  while (true) {
    Connection connection;
    {
      std::unique_lock lock(work_mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || !work_.empty(); });
      if (stopping_) return;
      connection = std::move(work_.front());
      work_.pop_front();
    }
    bool keep = serve(connection);
    while (keep && !stopping_ && next_head_arrives(connection)) keep = serve(connection);
    finish(std::move(connection), keep);
  }
}

// Answers the request whose head is in the connection's buffer; whether the connection may carry another.
bool Connections::serve(Connection& connection) {
  const bool last = ++connection.requests >= limits_.max_requests;
  SocketStream stream(connection.fd, std::move(connection.buffer), Clock::now() + limits_.body_timeout,
                      limits_.write_stall, stopping_);
  bool keep = false;
  try {
    keep = answer_(stream, last) && !last;
  } catch (...) {  // httplib answers a handler's exceptions itself; anything else ends the connection
  }
  connection.buffer = stream.take_unread();
  return keep;
}

// A keep-alive client usually sends its next request as soon as it has the answer: the worker waits for it a
// moment (kFastPath), which saves the two thread switches of a trip through the poll loop.
bool Connections::next_head_arrives(Connection& connection) {
  if (!connection.buffer.empty()) return head_complete(connection.buffer, 0);
  pollfd entry{connection.fd, POLLIN, 0};
  return ::poll(&entry, 1, static_cast<int>(kFastPath.count())) > 0 && receive(connection) == Step::Ready;
}

// After a request: back to the poll loop, to wait for the next request or to linger before it is closed.
void Connections::finish(Connection connection, bool keep) {
  if (!keep) end(connection);
  std::unique_lock lock(inbox_mutex_);
  if (stopping_) {
    lock.unlock();
    close(connection);
    return;
  }
  if (!keep) {
    connection.deadline = Clock::now() + limits_.linger;
  } else {
    connection.deadline =
        Clock::now() + (connection.buffer.empty() ? limits_.idle_timeout : limits_.head_timeout);
  }
  returned_.push_back(std::move(connection));
  lock.unlock();
  wake();
}

// Shuts the connection for writing (the client sees the end of the last answer) and lets it linger.
void Connections::end(Connection& connection) {
  ::shutdown(connection.fd, SHUT_WR);
  connection.closing = true;
  connection.buffer.clear();
  connection.deadline = Clock::now() + limits_.linger;
}

void Connections::close(Connection& connection) {
  if (connection.fd < 0) return;
  ::close(connection.fd);
  connection.fd = -1;
  --open_;
}

void Connections::refuse_too_large(Connection& connection) {
  refuse(connection, 431,
         "the request line and headers exceed " + std::to_string(limits_.max_head_bytes) + " bytes");
}

// Answers with an error of its own (the request never reaches httplib) and ends the connection.
void Connections::refuse(Connection& connection, int status, const std::string& message) {
  const std::string body = nlohmann::json{{"error", message}}.dump() + "\n";
  const std::string answer =
      "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n" + body;
  [[maybe_unused]] const ssize_t sent = ::send(connection.fd, answer.data(), answer.size(), MSG_NOSIGNAL);
  end(connection);
}

}  // namespace attnviz::server
