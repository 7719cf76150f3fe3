#include "server/socket_stream.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace attnviz::server {

namespace {

// How often a wait looks at the stop flag.
constexpr auto kTick = std::chrono::milliseconds(100);

void numeric_address(const sockaddr_storage& address, socklen_t size, std::string& ip, int& port) {
  char host[NI_MAXHOST] = "", service[NI_MAXSERV] = "";
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), size, host, sizeof(host), service,
                    sizeof(service), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

}  // namespace

SocketStream::SocketStream(int fd, std::string buffered, Clock::time_point read_deadline,
                           std::chrono::milliseconds write_stall, const std::atomic<bool>& stopping)
    : fd_(fd),
      buffered_(std::move(buffered)),
      read_deadline_(read_deadline),
      write_stall_(write_stall),
      stopping_(stopping) {}

bool SocketStream::wait(short events, Clock::time_point deadline) const {
  while (!stopping_) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    const auto slice = std::min<Clock::duration>(kTick, deadline - now);
    pollfd entry{fd_, events, 0};
    const int ready =
        ::poll(&entry, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(slice).count()));
    if (ready > 0) return true;  // ready, or an error or hang-up that the next read or write reports
    if (ready < 0 && errno != EINTR) return false;
  }
  return false;
}

bool SocketStream::is_readable() const {
  return consumed_ < buffered_.size() || wait(POLLIN, read_deadline_);
}

bool SocketStream::is_writable() const { return wait(POLLOUT, Clock::now() + write_stall_); }

ssize_t SocketStream::read(char* ptr, size_t size) {
  if (consumed_ < buffered_.size()) {
    const size_t count = std::min(size, buffered_.size() - consumed_);
    std::memcpy(ptr, buffered_.data() + consumed_, count);
    consumed_ += count;
    return static_cast<ssize_t>(count);
  }
  while (true) {
    const ssize_t count = ::recv(fd_, ptr, size, 0);
    if (count >= 0) return count;
    if (errno == EINTR) continue;
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait(POLLIN, read_deadline_)) return -1;
  }
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
  while (true) {
    const ssize_t count = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    if (count >= 0) return count;
    if (errno == EINTR) continue;
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait(POLLOUT, Clock::now() + write_stall_)) return -1;
  }
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t size = sizeof(address);
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0)
    numeric_address(address, size, ip, port);
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t size = sizeof(address);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0)
    numeric_address(address, size, ip, port);
}

std::string SocketStream::take_unread() {
  std::string unread = buffered_.substr(consumed_);
  buffered_.clear();
  consumed_ = 0;
  return unread;
}

}  // namespace attnviz::server
