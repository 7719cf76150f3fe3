#pragma once
// What `attnviz extract` will write and how much memory it will hold at its peak, known before it starts
// (docs/sizing.md): the one place where both are computed, from the run's contents (tokens known once the
// inputs are encoded) and the model's shape. The disk figures are the files' exact sizes; the memory figure
// is an estimate, checked against measured peak RSS by tests/unit/run/test_estimate.cpp.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/disk.hpp"
#include "model/config.hpp"
#include "run/run_writer.hpp"

namespace attnviz {

// The forward passes' batching rule: the sequences [first, end) of the next pass are whole sequences adding
// up to at most batch_tokens tokens, and at least one.
size_t batch_end(const std::vector<RunSequence>& sequences, size_t first, int batch_tokens);

// The token table in memory and its JSON text, per token: ~9 columns of numbers and a short string, held as
// vectors, as an nlohmann::json tree while tokens.json is dumped, and as that text. Layout jobs hold it too.
constexpr uint64_t kTableBytesPerToken = 400;

struct ExtractEstimate {
  std::vector<PlannedFile> files;  // qk.safetensors, tokens.json, manifest.json: exact sizes
  // Peak resident memory = base + weights + checkpoint + tables + batch:
  uint64_t base = 0;     // the process itself: code, libraries, BLAS buffers (kBaseBytes + per thread)
  uint64_t weights = 0;  // the model's float32 copies (norms, biases, positions: model/weights.hpp) and the
                         // buffer a block of half-precision weight rows is converted into
  uint64_t checkpoint = 0;  // the weight files, mapped: matrices are read in place on every pass (in F16/BF16
                            // as stored), so the whole file stays resident while the job runs
  uint64_t tables = 0;      // the token table, the encoded inputs and the JSON text of tokens.json
  uint64_t batch = 0;       // the largest forward pass: activations, captured q/k(/v), attention scores
  uint64_t memory() const { return base + weights + checkpoint + tables + batch; }
};

// contents: complete (after the inputs are encoded and induction measured), as RunWriter will write them.
// weight_copy_bytes: Model::weight_copy_bytes(); checkpoint_bytes: the size of the model's weight files.
ExtractEstimate estimate_extract(const RunContents& contents, const ModelConfig& config,
                                 uint64_t weight_copy_bytes, uint64_t checkpoint_bytes, int batch_tokens,
                                 int threads);

// One line for stderr: "extract: writes 12.3 MB to runs/x (qk.safetensors 12.0 MB, ...), peak memory about
// 450.0 MB (checkpoint mapped 420.0 MB, weight copies 4.2 MB, largest batch 30.0 MB, ...)".
std::string describe(const ExtractEstimate& estimate, const std::string& out);

}  // namespace attnviz
