#pragma once
// Options that several subcommands share: the server's (serve, demo), thread counts, ranges of integers.
#include <CLI/CLI.hpp>
#include <limits>

#include "server/server.hpp"

namespace attnviz::cli {

// --host, --port, --token and --allow-host into `options`.
void add_server_options(CLI::App* cmd, ServerOptions& options);

// After parsing: --token auto (or ATTNVIZ_TOKEN when --token is not given) becomes a token, and a warning is
// printed when the server listens beyond this machine's loopback interface.
void finish_server_options(ServerOptions& options);

// --threads of extract, layout and demo (0: every core): more than 4 a core is lowered with a warning, since
// threads beyond that only contend; then as many threads are started and ended, so that a process limit
// (ulimit -u) too low for them is a one-line Error now, not later inside OpenBLAS (which raises SIGINT) or
// after half the work.
int compute_threads(int requested);

// --threads of serve (0: the server's default): more than 16 a core is lowered with a warning (they mostly
// wait); the server reports threads it cannot start itself.
int serve_threads(int requested);

// n and up, as a check of a flag (its message names the range).
template <typename T>
CLI::Range at_least(T n) {
  return CLI::Range(n, std::numeric_limits<T>::max());
}

}  // namespace attnviz::cli
