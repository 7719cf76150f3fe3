#pragma once
// The extract job: run a model over a dataset and write a run directory (docs/format.md) holding every
// layer's and head's query and key vectors for every token, and (text models) each head's induction score
// (run/induction.hpp).
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/safetensors.hpp"

namespace attnviz {

struct ExtractOptions {
  std::filesystem::path model_dir;  // a local model folder (a hub id is resolved first: model/hub.hpp)
  std::string model_source;         // manifest model.source: the hub id@revision; empty: model_dir, absolute
  std::filesystem::path input;      // .txt, .jsonl or a folder of images (read_inputs)
  std::filesystem::path out;        // the run directory to create
  int64_t max_tokens = 0;           // > 0: keep whole inputs, in order, while their total stays within this
  int max_length = 0;               // > 0: cut longer text inputs to this many tokens (with a warning);
                                    // 0: an input longer than the model's positions is an error
  DType dtype = DType::F16;         // storage of q and k (and v): F16 or F32
  bool values = false;              // also store value vectors (l{L}.v): half as much again on disk
  int threads = 0;                  // 0: every core
  int batch_tokens = 2048;          // tokens per forward pass (whole sequences, at least one)
  bool force = false;               // replace an existing run at `out` (only once the new one is complete)
  bool progress = true;             // progress bar on stderr
};

struct ExtractResult {
  int64_t sequences = 0, tokens = 0;
  double seconds = 0.0;  // the forward passes and writing, without loading
};

// Writes options.out under a temporary name and renames it when complete: an error or an interrupt
// (install_interrupt_handler) leaves nothing behind. Bad input is an Error naming the input.
ExtractResult extract(const ExtractOptions& options);

}  // namespace attnviz
