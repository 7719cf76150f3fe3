#include "cli/commands.hpp"
#include "core/error.hpp"

namespace attnviz::cli {

void add_extract_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("extract", "(being built)");
  cmd->callback([] { throw Error("attnviz extract is not built yet"); });
}

}  // namespace attnviz::cli
