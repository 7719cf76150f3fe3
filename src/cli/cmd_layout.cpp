#include "cli/commands.hpp"
#include "core/error.hpp"

namespace attnviz::cli {

void add_layout_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("layout", "(being built)");
  cmd->callback([] { throw Error("attnviz layout is not built yet"); });
}

}  // namespace attnviz::cli
