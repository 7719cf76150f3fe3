// The HTTP server: cpp-httplib binds, accepts and parses requests and routes them; server/connections.cpp
// decides which connection gets a thread and when; server/access.cpp who may talk to it at all.
#include "server/server.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/parallel.hpp"
#include "run/run.hpp"
#include "server/access.hpp"
#include "server/api.hpp"
#include "server/connections.hpp"
#include "server/heads_across_runs.hpp"
#include "server/http_util.hpp"
#include "server/runs.hpp"
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

// httplib::Server, with each accepted socket handed to `on_accept` instead of a thread of its own, and its
// request parser and router open to server::Connections.
class HttpServer final : public httplib::Server {
 public:
  std::function<void(int)> on_accept;

  // Reads, routes and answers one request; `prepare` sees it after it is parsed and before its route.
  bool answer(httplib::Stream& stream, bool last, bool& closed,
              const std::function<void(httplib::Request&)>& prepare) {
    return process_request(stream, last, closed, prepare);
  }

 private:
  bool process_and_close_socket(int socket) override {
    on_accept(socket);
    return true;
  }
};

// httplib runs each accepted socket as a task; handing one to server::Connections takes no time, so the
// accepting thread does it.
class InlineTaskQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> task) override { task(); }
  void shutdown() override {}
};

// Before its route sees a parsed request: byte ranges are answered by the routes that support them
// (server/byte_range.hpp), never by httplib, which does not bound them; a request with a body closes its
// connection after the answer, so that a body no route read is never taken for the next request.
void prepare_request(httplib::Request& req, bool& close) {
  req.ranges.clear();
  const std::string length = req.get_header_value("Content-Length");
  if (req.has_header("Transfer-Encoding") || (!length.empty() && length != "0")) {
    close = true;
    req.headers.erase("Connection");
    req.headers.emplace("Connection", "close");
  }
}

// The one-line message for a request that httplib refused before any route saw it.
std::string refusal_message(const httplib::Request& req, int status) {
  std::string what;
  switch (status) {
    case 400:
      what = "malformed HTTP request";
      break;
    case 413:
      what = "request body larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes";
      break;
    case 414:
      what = "request line longer than 8192 bytes";
      break;
    case 416:
      what = "malformed Range header";
      break;
    default:
      what = "HTTP status " + std::to_string(status);
  }
  if (req.method.empty() || req.path.empty()) return what;  // the request line did not parse
  return req.method + " " + server::printable(req.path) + ": " + what;
}

}  // namespace

fs::path default_web_dir() { return fs::path(ATTNVIZ_SOURCE_DIR) / "web" / "dist"; }

struct Server::Impl {
  ServerOptions options;
  fs::path web_dir;
  std::vector<server::ServedRun> runs;
  std::vector<std::unique_ptr<server::Api>> apis;      // one per run, in the order of `runs`
  std::unique_ptr<server::HeadsAcrossRuns> heads_map;  // GET /api/heads/map
  std::unique_ptr<server::Access> access;
  server::ConnectionLimits limits;
  std::unique_ptr<server::Connections> connections;  // while started
  HttpServer http;
  int port = 0;
  std::thread listener;
  std::mutex mutex;  // guards listener, listening
  std::condition_variable stopped;
  bool listening = false;
  int listen_socket = -1;  // the socket httplib last configured: after a successful bind, the bound one

  void configure();
  void add_api_routes();
  bool answer(server::SocketStream& stream, bool last);
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->web_dir = impl_->options.web_dir.empty() ? default_web_dir() : impl_->options.web_dir;
  if (!impl_->options.web_dir.empty() && !fs::is_directory(impl_->web_dir)) {
    throw Error("the web UI folder " + impl_->web_dir.string() + " is not a folder");
  }
  std::vector<fs::path> paths = {impl_->options.run_dir};
  paths.insert(paths.end(), impl_->options.more_run_dirs.begin(), impl_->options.more_run_dirs.end());
  impl_->runs = server::open_runs(paths);
  if (impl_->runs.size() > 1 && !impl_->options.model.empty()) {
    throw Error("--model names the probe model of one run, but " + std::to_string(impl_->runs.size()) +
                " runs are served: each run's probes use the model its manifest records");
  }
  for (const server::ServedRun& served : impl_->runs) {
    impl_->apis.push_back(std::make_unique<server::Api>(served.run, impl_->options.model));
  }
  impl_->heads_map = std::make_unique<server::HeadsAcrossRuns>(impl_->runs);
  impl_->access = std::make_unique<server::Access>(
      server::AccessOptions{impl_->options.token, impl_->options.allowed_hosts});
  impl_->configure();
}

Server::~Server() { stop(); }

void Server::Impl::configure() {
  limits.workers = options.threads > 0 ? options.threads : std::max(16, 4 * default_threads());
  http.new_task_queue = [] { return new InlineTaskQueue; };
  http.on_accept = [this](int socket) { connections->add(socket); };
  http.set_socket_options([this](int socket) {
    reuse_address_only(socket);
    listen_socket = socket;
  });
  http.set_tcp_nodelay(true);  // headers and body go out as separate writes; don't let Nagle hold the second
  // What the Keep-Alive header announces; server::Connections enforces it.
  http.set_keep_alive_max_count(static_cast<size_t>(limits.max_requests));
  http.set_keep_alive_timeout(std::chrono::duration_cast<std::chrono::seconds>(limits.idle_timeout).count());
  http.set_payload_max_length(kMaxRequestBodyBytes);
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
  http.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return access->check(req, res); });
  add_api_routes();
  http.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
    server::serve_static(web_dir, req, res);
  });
  // Every other method, on every path: 405, without reading a body (a content-reader handler is called
  // before httplib reads one).
  const auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", "GET, HEAD");
    server::reply_error(res, 405,
                        req.method + " " + server::printable(req.path) + ": method not allowed (GET, HEAD)");
  };
  const auto not_allowed_with_body = [not_allowed](const httplib::Request& req, httplib::Response& res,
                                                   const httplib::ContentReader&) { not_allowed(req, res); };
  http.Post(".*", not_allowed_with_body);
  http.Put(".*", not_allowed_with_body);
  http.Patch(".*", not_allowed_with_body);
  http.Delete(".*", not_allowed_with_body);
  http.Options(".*", not_allowed);
  // Errors httplib answers itself (an unparsable request, a body over the limit) get the same JSON shape;
  // except a Range header it could not parse, whose body it would then cut to the ranges it did parse.
  using Outcome = httplib::Server::HandlerResponse;
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || !req.ranges.empty()) return Outcome::Unhandled;
        server::reply_error(res, res.status, refusal_message(req, res.status));
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

// Each run's routes under /api/runs/{name}, the first run's also under /api, GET /api/runs and the heads of
// every run in one map (GET /api/heads/map); then 404 for any
// other path under /api (before the static files' catch-all).
void Server::Impl::add_api_routes() {
  const auto listing = std::make_shared<const std::string>(server::runs_reply(runs).dump());
  http.Get("/api/runs", [listing](const httplib::Request&, httplib::Response& res) {
    server::reply_json_text(res, listing);
  });
  // About every run at once: the heads of all of them in one map (kept until a heads.json changes).
  http.Get("/api/heads/map", [this](const httplib::Request&, httplib::Response& res) {
    try {
      server::reply_json_text(res, heads_map->reply());
    } catch (const server::HttpError& e) {
      server::reply_error(res, e.status, e.what());
    }
  });
  for (size_t i = 0; i < runs.size(); ++i) apis[i]->add_routes(http, "/api/runs/" + runs[i].name);
  http.Get("/api/runs/([^/]*)(/.*)?", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const bool served = std::any_of(runs.begin(), runs.end(), [&](const auto& r) { return r.name == name; });
    if (served) {
      server::reply_error(res, 404, "no API route " + server::printable(req.path) + " (see docs/api.md)");
    } else {
      server::reply_error(res, 404, "no run " + server::printable(name) + " (GET /api/runs lists them)");
    }
  });
  apis.front()->add_routes(http, "/api");
  http.Get("/api(/.*)?", [](const httplib::Request& req, httplib::Response& res) {
    server::reply_error(res, 404, "no API route " + server::printable(req.path) + " (see docs/api.md)");
  });
}

bool Server::Impl::answer(server::SocketStream& stream, bool last) {
  bool close = last, closed = false, parsed = false;
  const bool answered = http.answer(stream, last, closed, [&](httplib::Request& req) {
    parsed = true;
    prepare_request(req, close);
  });
  // After a request that did not parse, where the next one would start is anyone's guess.
  return answered && parsed && !closed && !close;
}

int Server::start() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    if (s.listening) throw Error("the server is already running on port " + std::to_string(s.port));
    s.connections = std::make_unique<server::Connections>(
        s.limits, [&s](server::SocketStream& stream, bool last) { return s.answer(stream, last); });
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
    s.listener = start_thread([&s] {  // waits for `lock` before it can report that it stopped
      s.http.listen_after_bind();
      std::lock_guard done(s.mutex);
      s.listening = false;
      s.stopped.notify_all();
    });
    s.listening = true;
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
  if (s.connections) s.connections->stop();
}

void Server::wait() {
  std::unique_lock lock(impl_->mutex);
  impl_->stopped.wait(lock, [this] { return !impl_->listening; });
}

std::string Server::url() const {
  const std::string& host = impl_->options.host;
  const bool ipv6 = host.find(':') != std::string::npos;
  const std::string& token = impl_->options.token;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->port) + "/" +
         (token.empty() ? "" : "?token=" + token);
}

void serve(const ServerOptions& options) {
  install_interrupt_handler();
  Server server(options);
  server.start();
  const std::string more =
      options.more_run_dirs.empty() ? "" : " and " + std::to_string(options.more_run_dirs.size()) + " more";
  std::printf("attnviz: serving %s%s at %s (Ctrl-C stops)\n", options.run_dir.c_str(), more.c_str(),
              server.url().c_str());
  std::fflush(stdout);
  while (!interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
}

}  // namespace attnviz
