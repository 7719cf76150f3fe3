// attnviz: one binary, one subcommand per stage of the pipeline (docs/architecture.md).
#include <malloc.h>

#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  // Freed memory stays in the process for the next allocation instead of going back to the system: buffers
  // of a few megabytes (a round's candidates, a block's distances) are otherwise mapped afresh each time,
  // and on these virtual machines a page fault costs about 10 us (a tenth of a one-head UMAP command's time;
  // docs/benchmarks.md). Blocks from 32 MiB are still mapped apart, and above 64 MiB free the heap shrinks.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  CLI::App app{"attnviz: a global view of transformer attention"};
  app.set_version_flag("--version", ATTNVIZ_VERSION);
  app.require_subcommand(1);
  attnviz::cli::add_info_command(app);
  attnviz::cli::add_tokenize_command(app);
  attnviz::cli::add_extract_command(app);
  attnviz::cli::add_layout_command(app);
  attnviz::cli::add_serve_command(app);
  attnviz::cli::add_demo_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "attnviz: error: %s (see --help)\n", e.what());
    return e.get_exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attnviz: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
