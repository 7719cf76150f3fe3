#include "cli/commands.hpp"
#include "core/error.hpp"

namespace attnviz::cli {

void add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "(being built)");
  cmd->callback([] { throw Error("attnviz serve is not built yet"); });
}

}  // namespace attnviz::cli
