#include "cli/options.hpp"

#include <cstdio>
#include <cstdlib>

#include "core/parallel.hpp"
#include "server/access.hpp"

namespace attnviz::cli {

void add_server_options(CLI::App* cmd, ServerOptions& options) {
  cmd->add_option("--host", options.host, "Address to listen on (beyond 127.0.0.1: see --token)")
      ->capture_default_str();
  cmd->add_option("--port", options.port, "Port to listen on (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--token", options.token,
                  "Require this token of every request (auto: a random one, printed in the URL; default: "
                  "$ATTNVIZ_TOKEN, else none)");
  cmd->add_option("--allow-host", options.allowed_hosts,
                  "Also accept requests whose Host header is NAME (repeatable; * accepts any)");
}

void finish_server_options(ServerOptions& options) {
  if (options.token.empty()) {
    if (const char* token = std::getenv("ATTNVIZ_TOKEN")) options.token = token;
  }
  if (options.token == "auto") options.token = server::random_token();
  if (!server::is_loopback_host(options.host) && options.token.empty()) {
    std::fprintf(
        stderr,
        "attnviz: warning: listening on %s, beyond this machine's loopback interface: anyone who can "
        "reach it can read this run; add --token auto to require a token\n",
        options.host.c_str());
  }
}

namespace {

int capped_threads(int requested, int per_core) {
  const int cores = default_threads();
  const int cap = per_core * cores;
  if (requested <= cap) return requested;
  std::fprintf(stderr, "attnviz: warning: --threads %d is more than %d per core (%d cores); using %d\n",
               requested, per_core, cores, cap);
  return cap;
}

}  // namespace

int compute_threads(int requested) {
  const int threads = capped_threads(requested, 4);
  check_threads_available(threads > 0 ? threads : default_threads());
  return threads;
}

int serve_threads(int requested) { return capped_threads(requested, 16); }

}  // namespace attnviz::cli
