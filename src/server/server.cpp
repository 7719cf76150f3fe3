#include "server/server.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/parallel.hpp"
#include "run/run.hpp"
#include "server/api.hpp"
#include "server/http_util.hpp"
#include "server/static_files.hpp"

namespace attnviz {

namespace fs = std::filesystem;

namespace {

// SO_REUSEADDR only: cpp-httplib's default also sets SO_REUSEPORT, with which a second server could bind a
// port that is already serving and the "in use" error would never be reported.
void reuse_address_only(int socket) {
  int yes = 1;
  setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

// 0 when host:port can be bound now, else the errno of bind (or -1 when the host does not resolve).
int try_bind(const std::string& host, int port) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int error = 0;
  int sock = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (sock < 0) {
    error = errno;
  } else {
    reuse_address_only(sock);
    if (::bind(sock, found->ai_addr, found->ai_addrlen) != 0) error = errno;
    ::close(sock);
  }
  freeaddrinfo(found);
  return error;
}

std::string bind_failure(const std::string& host, int port) {
  const int error = try_bind(host, port);
  if (error == -1) return "cannot listen on " + host + ": the host name does not resolve";
  if (error != EADDRINUSE) {
    return "cannot listen on " + host + ":" + std::to_string(port) + ": " + std::strerror(error);
  }
  int next = port + 1;
  while (next < port + 100 && next < 65536 && try_bind(host, next) != 0) ++next;
  return "port " + std::to_string(port) + " on " + host + " is in use; port " + std::to_string(next) +
         " is free";
}

}  // namespace

fs::path default_web_dir() { return fs::path(ATTNVIZ_SOURCE_DIR) / "web" / "dist"; }

struct Server::Impl {
  ServerOptions options;
  fs::path web_dir;
  std::shared_ptr<const Run> run;
  std::unique_ptr<server::Api> api;
  httplib::Server http;
  int port = 0;
  std::thread listener;
  std::mutex mutex;  // guards listener, listening
  std::condition_variable stopped;
  bool listening = false;
  int listen_socket = -1;  // the socket httplib last configured: after a successful bind, the bound one

  void configure();
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->web_dir = impl_->options.web_dir.empty() ? default_web_dir() : impl_->options.web_dir;
  if (!impl_->options.web_dir.empty() && !fs::is_directory(impl_->web_dir)) {
    throw Error("the web UI folder " + impl_->web_dir.string() + " is not a folder");
  }
  impl_->run = Run::open(impl_->options.run_dir);
  impl_->api = std::make_unique<server::Api>(impl_->run);
  impl_->configure();
}

Server::~Server() { stop(); }

void Server::Impl::configure() {
  const int threads = options.threads > 0 ? options.threads : std::max(16, 4 * default_threads());
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http.set_socket_options([this](int socket) {
    reuse_address_only(socket);
    listen_socket = socket;
  });
  http.set_tcp_nodelay(true);  // headers and body go out as separate writes; don't let Nagle hold the second
  http.set_keep_alive_max_count(1000);
  http.set_keep_alive_timeout(2);  // an idle browser connection delays shutdown by at most this
  api->add_routes(http);
  http.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
    server::serve_static(web_dir, req.path, res);
  });
  // Errors httplib answers itself (unknown method, unparsable request) get the same JSON shape.
  using Outcome = httplib::Server::HandlerResponse;
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return Outcome::Unhandled;
        server::reply_error(res, res.status,
                            req.method + " " + req.path + ": HTTP status " + std::to_string(res.status));
        return Outcome::Handled;
      }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      server::reply_error(res, 500, e.what());
    } catch (...) {
      server::reply_error(res, 500, "internal error");
    }
  });
}

int Server::start() {
  Impl& s = *impl_;
  // cpp-httplib 0.11 sends without MSG_NOSIGNAL: a browser closing a connection mid-response must not kill
  // us.
  std::signal(SIGPIPE, SIG_IGN);
  {
    std::lock_guard lock(s.mutex);
    if (s.listening) throw Error("the server is already running on port " + std::to_string(s.port));
    const std::string& host = s.options.host;
    if (s.options.port == 0) {
      s.port = s.http.bind_to_any_port(host);
      if (s.port < 0) throw Error(bind_failure(host, 0));
    } else {
      if (!s.http.bind_to_port(host, s.options.port)) throw Error(bind_failure(host, s.options.port));
      s.port = s.options.port;
    }
    // httplib 0.11 listens with a backlog of 5: a browser or 16 load-test connections opening at once would
    // overflow it and wait a second for the SYN to be retried. listen() again raises it.
    ::listen(s.listen_socket, SOMAXCONN);
    s.listening = true;
    s.listener = std::thread([&s] {
      s.http.listen_after_bind();
      std::lock_guard done(s.mutex);
      s.listening = false;
      s.stopped.notify_all();
    });
  }
  // httplib's stop() only acts once the accept loop runs: wait for it, so that a stop() right away is not
  // lost.
  while (!s.http.is_running()) {
    {
      std::lock_guard lock(s.mutex);
      if (!s.listening) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return s.port;
}

void Server::stop() {
  Impl& s = *impl_;
  s.http.stop();
  std::unique_lock lock(s.mutex);
  s.stopped.wait(lock, [&s] { return !s.listening; });
  if (s.listener.joinable()) s.listener.join();
}

void Server::wait() {
  std::unique_lock lock(impl_->mutex);
  impl_->stopped.wait(lock, [this] { return !impl_->listening; });
}

std::string Server::url() const {
  const std::string& host = impl_->options.host;
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->port) + "/";
}

void serve(const ServerOptions& options) {
  install_interrupt_handler();
  Server server(options);
  server.start();
  std::printf("attnviz: serving %s at %s (Ctrl-C stops)\n", options.run_dir.c_str(), server.url().c_str());
  std::fflush(stdout);
  while (!interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
}

}  // namespace attnviz
