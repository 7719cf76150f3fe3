#pragma once
// Reading a run directory (format version 1, docs/format.md): manifest.json, tokens.json, qk.safetensors.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/safetensors.hpp"
#include "run/qk_file.hpp"

namespace attnviz {

constexpr int kRunFormatVersion = 1;

struct RunModel {
  std::string model_type, modality;  // modality: "text" or "image"
  int num_layers = 0, num_heads = 0, num_kv_heads = 0, head_dim = 0;
  bool causal = false;
  float attention_scale = 0.0f;
  // Optional (empty in runs made before attnviz recorded them): where the model came from, an absolute local
  // folder or "org/name@revision", and its weights' model_fingerprint (model/fingerprint.hpp).
  std::string source{}, fingerprint{};
  int kv_head_for(int head) const { return head / (num_heads / num_kv_heads); }
};

struct RunSequence {
  std::string text;   // text inputs
  std::string image;  // image inputs: path as given
  int64_t first_token = 0, token_count = 0;
  int grid_rows = 0, grid_cols = 0;  // images: patch grid
};

// Induction scores measured by `attnviz extract` on random token sequences repeated twice
// (run/induction.hpp): how the run's model copies, which its dataset may not show.
struct RunInduction {
  unsigned seed = 0;
  int sequences = 0, length = 0;  // random sequences and the length of each copy
  std::vector<double> scores;     // [num_layers * num_heads], layer-major, each in [0, 1]
};

struct TokenTable {
  std::vector<std::string> token;
  std::vector<int32_t> token_id, sequence, position;
  std::vector<int32_t> char_start, char_end;  // text runs
  std::vector<int32_t> patch_row, patch_col;  // image runs; -1 for the class token
  std::vector<uint8_t> special;  // 1 for special tokens ([CLS], [SEP], <|endoftext|>, class token)
  size_t size() const { return token.size(); }
};

class Run {
 public:
  // Validates format, version and every size; an Error says what is wrong.
  static std::shared_ptr<const Run> open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const nlohmann::json& manifest() const { return manifest_; }
  const RunModel& model() const { return model_; }
  const std::vector<RunSequence>& sequences() const { return sequences_; }
  const TokenTable& tokens() const { return tokens_; }
  int64_t num_tokens() const { return static_cast<int64_t>(tokens_.size()); }
  // The manifest's optional "induction"; nullopt for image runs and runs extracted before it existed.
  const std::optional<RunInduction>& induction() const { return induction_; }
  std::optional<double> induction(int layer, int head) const;

  // Float32 copies of one head's vectors over all N tokens: [N, head_dim].
  std::vector<float> queries(int layer, int head) const;
  std::vector<float> keys(int layer, int kv_head) const;
  // Rows [first, first+count) only, for one sequence.
  std::vector<float> queries(int layer, int head, int64_t first, int64_t count) const;
  std::vector<float> keys(int layer, int kv_head, int64_t first, int64_t count) const;
  // Whether the run holds value vectors (manifest qk.values, extract --values); values() is an Error if not.
  bool has_values() const { return has_values_; }
  std::vector<float> values(int layer, int kv_head) const;
  std::vector<float> values(int layer, int kv_head, int64_t first, int64_t count) const;

  // That sequence's attention matrix for one head, recomputed from q and k: [T, T] row-major.
  std::vector<float> attention(int layer, int head, int sequence) const;

 private:
  std::filesystem::path dir_;
  nlohmann::json manifest_;
  RunModel model_;
  std::vector<RunSequence> sequences_;
  TokenTable tokens_;
  std::optional<RunInduction> induction_;
  bool has_values_ = false;
  std::shared_ptr<const QkFile> qk_;
};

}  // namespace attnviz
