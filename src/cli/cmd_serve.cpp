// attnviz serve RUN [RUN ...]: the web UI and the API (docs/api.md) over one run directory or several (each a
// run or a folder of runs; server/runs.hpp).
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "server/server.hpp"

namespace attnviz::cli {

void add_serve_command(CLI::App& app) {
  auto options = std::make_shared<ServerOptions>();
  auto runs = std::make_shared<std::vector<std::filesystem::path>>();
  auto* cmd = app.add_subcommand("serve", "Serve the web UI and the API over run directories");
  cmd->add_option(
         "runs", *runs,
         "Run directories (made by attnviz extract) or folders of runs; the first is also served at /api/")
      ->required();
  add_server_options(cmd, *options);
  cmd->add_option("--model", options->model,
                  "Model that probes run (folder or hub id; default: the one the run records; one run only)");
  cmd->add_option("--web", options->web_dir,
                  "Folder of the built web UI (default: web/dist of the source tree)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--threads", options->threads, "Requests answered at once (0: max(16, 4 x cores))")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->callback([options, runs] {
    options->run_dir = runs->front();
    options->more_run_dirs.assign(runs->begin() + 1, runs->end());
    options->threads = serve_threads(options->threads);
    finish_server_options(*options);
    serve(*options);
  });
}

}  // namespace attnviz::cli
