#pragma once
// Writing a run directory (format version 1, docs/format.md). The token table is known before any vector is
// computed (inputs are tokenized first), so qk.safetensors is created at its final size up front and each
// sequence's vectors are written straight to their place in it: memory stays bounded however many tokens.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/safetensors.hpp"
#include "run/run.hpp"

namespace attnviz {

struct RunDataset {
  std::string source;              // the input file or folder, as given
  std::string kind;                // "txt", "jsonl" or "images"
  int64_t inputs = 0;              // inputs read from the source (more than the sequences under --max-tokens)
  std::vector<int64_t> truncated;  // sequences cut to --max-length
};

// Everything in a run except the vectors.
struct RunContents {
  RunModel model;
  RunDataset dataset;
  std::vector<RunSequence> sequences;     // first_token and token_count tile [0, N) in order
  TokenTable tokens;                      // N rows; char_* for text runs, patch_* for image runs
  DType dtype = DType::F16;               // F16 or F32
  bool values = false;                    // also store each layer's value vectors l{L}.v (extract --values)
  std::optional<RunInduction> induction;  // text runs: measured by extract (run/induction.hpp)
};

nlohmann::json manifest_json(const RunContents& contents);
nlohmann::json tokens_json(const TokenTable& tokens, const std::string& modality);
// The files' text as RunWriter writes them (run/estimate.hpp measures them before the job starts).
std::string manifest_json_text(const RunContents& contents);
std::string tokens_json_text(const RunContents& contents);

// The name of tensor l{layer}.q, l{layer}.k or l{layer}.v.
std::string qk_tensor_name(int layer, char which);

// Where everything goes in qk.safetensors for these contents (its header, each tensor's offset, the data
// size): the file RunWriter creates, and its exact size for the disk check (run/estimate.hpp).
SafetensorsLayout qk_file_layout(const RunContents& contents, const std::filesystem::path& path);

class RunWriter {
 public:
  // dir must exist and be empty (a StagingDir): creates dir/qk.safetensors at its full size.
  RunWriter(std::filesystem::path dir, RunContents contents);
  ~RunWriter();
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  const RunContents& contents() const { return contents_; }

  // One sequence's vectors for one layer: q [num_heads, T, head_dim], k and v [num_kv_heads, T, head_dim]
  // (v exactly when contents().values, empty otherwise). Thread-safe for different (sequence, layer) pairs.
  void write(int sequence, int layer, std::span<const float> q, std::span<const float> k,
             std::span<const float> v = {});

  // Checks every (sequence, layer) was written, closes qk.safetensors, writes manifest.json and tokens.json.
  void finish();

 private:
  void write_heads(int64_t tensor_offset, int heads, int64_t first, int64_t tokens, std::span<const float> v);

  std::filesystem::path dir_;
  RunContents contents_;
  int fd_ = -1;
  int64_t data_start_ = 0;                               // file offset of the data section
  std::vector<int64_t> q_offset_, k_offset_, v_offset_;  // per layer, within the data section
  std::vector<uint8_t> written_;                         // [sequence * num_layers + layer]
};

}  // namespace attnviz
