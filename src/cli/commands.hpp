#pragma once
// Each subcommand of the attnviz binary lives in its own file and registers itself here.
#include <CLI/CLI.hpp>

namespace attnviz::cli {

void add_info_command(CLI::App& app);      // cmd_info.cpp
void add_tokenize_command(CLI::App& app);  // cmd_tokenize.cpp
void add_extract_command(CLI::App& app);   // cmd_extract.cpp
void add_layout_command(CLI::App& app);    // cmd_layout.cpp
void add_serve_command(CLI::App& app);     // cmd_serve.cpp
void add_demo_command(CLI::App& app);      // cmd_demo.cpp

}  // namespace attnviz::cli
