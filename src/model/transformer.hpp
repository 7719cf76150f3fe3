#pragma once
// What the architectures share: the batch of stacked sequences, the Model plumbing around one batched run,
// and multi-head self-attention that records q, k (and values and probabilities) as it goes.
#include <memory>
#include <span>
#include <vector>

#include "model/model.hpp"
#include "model/ops.hpp"

namespace attnviz {

// Several sequences stacked token after token: sequence s holds rows start[s] .. start[s + 1] − 1.
struct Batch {
  std::vector<int> start;  // size() + 1 entries
  int size() const { return int(start.size()) - 1; }
  int total() const { return start.back(); }
  int length(int s) const { return start[s + 1] - start[s]; }
};

// A Model whose architecture runs all tokens of a batch at once and returns the final hidden state.
class Transformer : public Model {
 public:
  explicit Transformer(ModelConfig config) : config_(std::move(config)) {}
  const ModelConfig& config() const override { return config_; }
  Capture forward(const ModelInput& input, const ForwardOptions& options = {}) const override;
  std::vector<Capture> forward_batch(std::span<const ModelInput> inputs,
                                     const ForwardOptions& options = {}) const override;
  int sequence_length(const ModelInput& input) const override { return int(input.input_ids.size()); }
  size_t parameter_count() const override { return parameters_; }
  size_t weight_copy_bytes() const override { return weight_copy_bytes_; }

 protected:
  // Throws an Error describing what is wrong with one input (sequence `index` of the batch).
  virtual void validate(const ModelInput& input, int index) const;
  // Runs the batch, filling each capture's q and k (and v, attn when sized); returns hidden [total,
  // hidden_size].
  virtual std::vector<float> run(std::span<const ModelInput> inputs, const Batch& batch,
                                 std::vector<Capture>& captures) const = 0;

  // The standard check of token ids (and token types) against the vocabulary and the positions.
  void validate_text(const ModelInput& input, int index, int position_offset) const;

  ModelConfig config_;
  size_t parameters_ = 0;
  size_t weight_copy_bytes_ = 0;  // Weights::bytes_copied() of the loader
};

struct AttentionShape {
  int num_heads = 0, num_kv_heads = 0, head_dim = 0;
  float scale = 1.0f;
  bool causal = false;
  int q_width() const { return num_heads * head_dim; }
  int kv_width() const { return num_kv_heads * head_dim; }
  int qkv_width() const { return q_width() + 2 * kv_width(); }
};

AttentionShape attention_shape(const ModelConfig& config);

// qkv: [total, qkv_width] rows laid out q | k | v. Writes out [total, q_width] and, for each sequence, the
// layer's q and k into captures (and v, the probabilities, when captures[s].layers[layer].v, .attn are
// sized).
void self_attention(const AttentionShape& shape, const Batch& batch, const float* qkv, float* out,
                    std::vector<Capture>& captures, int layer);

// Fuses the query, key and value projections into one layer (their stored rows stacked, biases joined) so
// that one call computes all three.
ops::Linear fuse_linear(const std::vector<const ops::Linear*>& parts);

// The loaders of each architecture (one file each).
std::unique_ptr<Model> load_gpt2(const ModelConfig& config, const std::filesystem::path& model_dir,
                                 WeightStorage storage);
std::unique_ptr<Model> load_bert(const ModelConfig& config, const std::filesystem::path& model_dir,
                                 WeightStorage storage);
std::unique_ptr<Model> load_vit(const ModelConfig& config, const std::filesystem::path& model_dir,
                                WeightStorage storage);
std::unique_ptr<Model> load_llama(const ModelConfig& config, const std::filesystem::path& model_dir,
                                  WeightStorage storage);

}  // namespace attnviz
