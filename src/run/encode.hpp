#pragma once
// Turning inputs into what a run records before any vector is computed: the token table, the sequences,
// and each sequence's model input. Every check that can fail on bad input happens here, before work starts.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/config.hpp"
#include "model/model.hpp"
#include "run/inputs.hpp"
#include "run/run.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnviz {

struct EncodeLimits {
  int max_length =
      0;  // > 0: cut longer text inputs to this many tokens; 0: longer than positions is an error
  int64_t max_tokens = 0;  // > 0: keep whole inputs while the total stays within this
};

struct EncodedDataset {
  std::vector<RunSequence> sequences;
  TokenTable tokens;
  std::vector<ModelInput> inputs;              // text: ids (and types); images: empty until decoded
  std::vector<std::filesystem::path> images;   // image runs: the file of each sequence
  std::vector<int64_t> truncated;              // sequences cut to max_length
  std::vector<std::string> truncated_origins;  // ... and where they came from, for the warning
};

// The model folder's tokenizer (tokenizer.json, vocab.json + merges.txt or vocab.txt); none for image models
// and models given input_ids only.
std::optional<Tokenizer> load_tokenizer_if_any(const std::filesystem::path& model_dir);

// The model facts a run records.
RunModel run_model(const ModelConfig& config);

// tokenizer may be null when every input is input_ids (display strings are then the ids).
EncodedDataset encode_inputs(const InputSet& inputs, const ModelConfig& config, const Tokenizer* tokenizer,
                             const EncodeLimits& limits);

// One input given to a running server (a probe), encoded as encode_inputs encodes a dataset's, with the same
// tokenizer, special tokens and checks, but cut to the model's positions or `max_tokens`, whichever is fewer,
// rather than refused (truncated then lists sequence 0). An image item with an empty path stands for pixels
// the caller decodes itself (an image's tokens are its patches: never cut).
EncodedDataset encode_probe(const InputItem& item, const ModelConfig& config, const Tokenizer* tokenizer,
                            int max_tokens);

}  // namespace attnviz
