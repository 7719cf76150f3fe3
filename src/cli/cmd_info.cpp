#include "cli/commands.hpp"
#include "core/error.hpp"

namespace attnviz::cli {

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "(being built)");
  cmd->callback([] { throw Error("attnviz info is not built yet"); });
}

}  // namespace attnviz::cli
