// attnviz serve RUN: the web UI and the API (docs/api.md) over one run directory.
#include "cli/commands.hpp"
#include "server/server.hpp"

namespace attnviz::cli {

void add_serve_command(CLI::App& app) {
  auto options = std::make_shared<ServerOptions>();
  auto* cmd = app.add_subcommand("serve", "Serve the web UI and the API over a run directory");
  cmd->add_option("run", options->run_dir, "Run directory (made by attnviz extract)")->required();
  cmd->add_option("--host", options->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "Port to listen on (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--web", options->web_dir,
                  "Folder of the built web UI (default: web/dist of the source tree)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--threads", options->threads, "Connection threads (0: max(16, 4 x cores))")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->callback([options] { serve(*options); });
}

}  // namespace attnviz::cli
