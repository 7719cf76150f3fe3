#include "cli/commands.hpp"
#include "core/error.hpp"

namespace attnviz::cli {

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "(being built)");
  cmd->callback([] { throw Error("attnviz demo is not built yet"); });
}

}  // namespace attnviz::cli
