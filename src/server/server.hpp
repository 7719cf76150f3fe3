#pragma once
// The HTTP server of attnviz serve: the web UI's static files and the JSON/binary API (docs/api.md).
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace attnviz {

// The largest request body a route may take (413 above it): POST /api/probe's.
constexpr size_t kMaxRequestBodyBytes = size_t{1} << 20;

struct ServerOptions {
  // The run served under /api/ (and /api/runs/{name}/), or a folder of runs whose first is. Every run is also
  // served under /api/runs/{name}/ (server/runs.hpp).
  std::filesystem::path run_dir;
  std::vector<std::filesystem::path> more_run_dirs;  // further runs (or folders of runs), in this order
  // The model probes of the first run run (a folder or hub id); empty: the manifest's model.source. An Error
  // when several runs are served: each run's probes use the model its manifest records.
  std::string model;
  std::filesystem::path web_dir;  // built front end (web/dist); empty: the default location
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port
  // Requests answered at once; 0: max(16, 4 × cores). More than the cores: a request may wait on an
  // on-demand layout that another one computes, and idle connections hold no thread (server/connections.hpp).
  int threads = 0;
  std::string token;                       // when not empty, every request must carry it (server/access.hpp)
  std::vector<std::string> allowed_hosts;  // Host names accepted besides the built-in ones; "*": any
};

// The folder served when ServerOptions::web_dir is empty: web/dist of the source tree.
std::filesystem::path default_web_dir();

// A server running in a background thread, for `attnviz demo` and the tests. The runs are opened by the
// constructor (an Error says what is wrong with one); files under RUN/layouts are re-read whenever they
// appear or change, so the server may start before the layouts are computed.
class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // stops and joins
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; returns the port. Error "port P on HOST is in use; port Q is free" when taken.
  int start();
  void stop();              // thread-safe; returns once the listener has stopped
  void wait();              // blocks until stopped
  std::string url() const;  // http://HOST:PORT/ once started, with ?token=TOKEN when there is one

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves in the foreground until SIGINT/SIGTERM; prints the URL on stdout. Error when the port cannot be
// bound.
void serve(const ServerOptions& options);

}  // namespace attnviz
