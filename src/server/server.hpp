#pragma once
// The HTTP server of attnviz serve: the web UI's static files and the JSON/binary API (docs/api.md).
#include <filesystem>
#include <memory>
#include <string>

namespace attnviz {

struct ServerOptions {
  std::filesystem::path run_dir;
  std::filesystem::path web_dir;  // built front end (web/dist); empty: the default location
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port
  // Connection threads; 0: max(16, 4 × cores). cpp-httplib keeps one thread per open keep-alive connection,
  // so a pool of only `cores` threads would stall a browser's parallel requests behind idle connections.
  int threads = 0;
};

// The folder served when ServerOptions::web_dir is empty: web/dist of the source tree.
std::filesystem::path default_web_dir();

// A server running in a background thread, for `attnviz demo` and the tests. The run is opened by the
// constructor (an Error says what is wrong with it); files under RUN/layouts are re-read whenever they appear
// or change, so the server may start before the layouts are computed.
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
  std::string url() const;  // http://HOST:PORT/ once started

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves in the foreground until SIGINT/SIGTERM; prints the URL on stdout. Error when the port cannot be
// bound.
void serve(const ServerOptions& options);

}  // namespace attnviz
