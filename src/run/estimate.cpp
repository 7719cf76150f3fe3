#include "run/estimate.hpp"

#include <algorithm>

#include "model/ops.hpp"

namespace attnviz {

namespace {

// Measured on this project's builds (docs/sizing.md): what `attnviz extract` holds before it loads anything
// (code, libstdc++, OpenBLAS, the tokenizer's tables), and what each further thread adds (its stack and its
// BLAS buffers as touched).
constexpr uint64_t kBaseBytes = uint64_t(40) << 20;
constexpr uint64_t kThreadBytes = uint64_t(2) << 20;

// The largest forward pass: its tokens and its longest sequence.
struct LargestBatch {
  int64_t tokens = 0, longest = 0;
};

LargestBatch largest_batch(const std::vector<RunSequence>& sequences, int batch_tokens) {
  LargestBatch largest;
  for (size_t first = 0; first < sequences.size();) {
    const size_t end = batch_end(sequences, first, batch_tokens);
    int64_t tokens = 0;
    for (size_t i = first; i < end; ++i) {
      tokens += sequences[i].token_count;
      largest.longest = std::max(largest.longest, sequences[i].token_count);
    }
    largest.tokens = std::max(largest.tokens, tokens);
    first = end;
  }
  return largest;
}

}  // namespace

size_t batch_end(const std::vector<RunSequence>& sequences, size_t first, int batch_tokens) {
  size_t end = first + 1;
  int64_t tokens = sequences[first].token_count;
  while (end < sequences.size() && tokens + sequences[end].token_count <= batch_tokens)
    tokens += sequences[end++].token_count;
  return end;
}

ExtractEstimate estimate_extract(const RunContents& contents, const ModelConfig& config,
                                 uint64_t weight_copy_bytes, uint64_t checkpoint_bytes, int batch_tokens,
                                 int threads) {
  ExtractEstimate e;
  const SafetensorsLayout qk = qk_file_layout(contents, "qk.safetensors");
  e.files = {{"qk.safetensors", qk.header.size() + qk.data_size},
             {"tokens.json", tokens_json_text(contents).size()},
             {"manifest.json", manifest_json_text(contents).size()}};

  const uint64_t f32 = sizeof(float);
  e.base = kBaseBytes + kThreadBytes * static_cast<uint64_t>(std::max(threads, 1));
  e.weights = weight_copy_bytes + f32 * ops::kHalfBlockValues;
  e.checkpoint = checkpoint_bytes;
  e.tables = kTableBytesPerToken * contents.tokens.size() + e.files[1].bytes;
  // Per token of the pass: the hidden state and its normalised copy, q/k/v and the attention output, the
  // MLP's intermediate activations (step by step: model/*.cpp), and the captured q, k (and v) of every layer;
  // per thread the scores of one head of its longest sequence.
  const LargestBatch b = largest_batch(contents.sequences, batch_tokens);
  const RunModel& m = contents.model;
  const uint64_t per_token_pass = 6 * uint64_t(config.hidden_size) + uint64_t(config.intermediate_size);
  const uint64_t per_token_captured =
      uint64_t(m.num_layers) * (m.num_heads + m.num_kv_heads * (contents.values ? 2 : 1)) * m.head_dim;
  const uint64_t scores = uint64_t(std::max(threads, 1)) * b.longest * b.longest;
  e.batch = f32 * (b.tokens * (per_token_pass + per_token_captured) + scores);
  return e;
}

std::string describe(const ExtractEstimate& e, const std::string& out) {
  return "extract: writes " + size_text(total_bytes(e.files)) + " to " + out + " (" + files_text(e.files) +
         "); peak memory about " + size_text(e.memory()) + " (checkpoint mapped " + size_text(e.checkpoint) +
         ", weight copies " + size_text(e.weights) + ", largest batch " + size_text(e.batch) + ", tokens " +
         size_text(e.tables) + ")";
}

}  // namespace attnviz
