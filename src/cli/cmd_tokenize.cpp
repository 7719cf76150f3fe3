#include "cli/commands.hpp"
#include "core/error.hpp"

namespace attnviz::cli {

void add_tokenize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "(being built)");
  cmd->callback([] { throw Error("attnviz tokenize is not built yet"); });
}

}  // namespace attnviz::cli
