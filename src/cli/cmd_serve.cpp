// attnviz serve RUN: the web UI and the API (docs/api.md) over one run directory.
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "server/server.hpp"

namespace attnviz::cli {

void add_serve_command(CLI::App& app) {
  auto options = std::make_shared<ServerOptions>();
  auto* cmd = app.add_subcommand("serve", "Serve the web UI and the API over a run directory");
  cmd->add_option("run", options->run_dir, "Run directory (made by attnviz extract)")->required();
  add_server_options(cmd, *options);
  cmd->add_option("--model", options->model,
                  "Model that probes run (folder or hub id; default: the one the run records)");
  cmd->add_option("--web", options->web_dir,
                  "Folder of the built web UI (default: web/dist of the source tree)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--threads", options->threads, "Requests answered at once (0: max(16, 4 x cores))")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->callback([options] {
    options->threads = serve_threads(options->threads);
    finish_server_options(*options);
    serve(*options);
  });
}

}  // namespace attnviz::cli
