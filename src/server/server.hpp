#pragma once
// The HTTP server of attnviz serve: the web UI's static files and the JSON/binary API (docs/api.md).
#include <filesystem>
#include <string>

namespace attnviz {

struct ServerOptions {
  std::filesystem::path run_dir;
  std::filesystem::path web_dir;  // built front end (web/dist); empty: the default location
  std::string host = "127.0.0.1";
  int port = 8000;
  int threads = 0;  // 0: hardware concurrency
};

// Blocks until stopped (SIGINT/SIGTERM). Error when the port cannot be bound.
void serve(const ServerOptions& options);

}  // namespace attnviz
