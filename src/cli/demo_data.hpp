#pragma once
// The bundled demo: where the models and datasets that ship with attnviz are, and how each demo's input
// file is made from them.
#include <filesystem>
#include <string>
#include <vector>

namespace attnviz::cli {

struct DemoSpec {
  std::string model;  // brown-gpt, brown-bert or mnist-vit
  int inputs;         // sentences or digits
};

const std::vector<DemoSpec>& demo_specs();
const DemoSpec& demo_spec(const std::string& model);  // Error listing the demos

// The folder holding models/ and data/: beside the binary's parent, or the source tree it was built from.
std::filesystem::path bundle_root();

// Writes the demo's input (a .txt of sentences, or a folder of PNG digits) under `dir`; returns its path.
std::filesystem::path write_demo_input(const DemoSpec& spec, const std::filesystem::path& bundle,
                                       const std::filesystem::path& dir);

}  // namespace attnviz::cli
