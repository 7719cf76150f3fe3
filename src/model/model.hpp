#pragma once
// A transformer that records, per layer, the queries and keys its attention dot product receives (and, when
// asked, the values it averages).
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "model/config.hpp"

namespace attnviz {

struct ModelInput {
  std::vector<int32_t> input_ids;       // text models
  std::vector<int32_t> token_type_ids;  // BERT; empty means all zero
  std::vector<float> pixel_values;      // image models: [num_channels, image_size, image_size]
};

struct ForwardOptions {
  bool attention = false;  // also return attention probabilities
  bool hidden = false;     // also return the final hidden state
  bool values = false;     // also return each layer's value vectors (LayerCapture::v)
};

struct LayerCapture {
  std::vector<float> q;     // [num_heads, T, head_dim]
  std::vector<float> k;     // [num_kv_heads, T, head_dim]
  std::vector<float> v;     // [num_kv_heads, T, head_dim] when requested: what attention averages
  std::vector<float> attn;  // [num_heads, T, T] when requested
};

struct Capture {
  int tokens = 0;  // T
  std::vector<LayerCapture> layers;
  // [T, hidden_size] when requested: the base model's last hidden state, after the final norm where the
  // architecture has one (GPT-2 ln_f, LLaMA norm, ViT layernorm; BERT ends with its last layer).
  std::vector<float> hidden;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelConfig& config() const = 0;
  // Runs one sequence. Thread-safe: several sequences may run concurrently.
  virtual Capture forward(const ModelInput& input, const ForwardOptions& options = {}) const = 0;
  // Runs several sequences of different lengths at once: token-wise work (projections, MLP, norms) is done
  // as one matrix product over all their tokens, attention per sequence. Same results as forward().
  virtual std::vector<Capture> forward_batch(std::span<const ModelInput> inputs,
                                             const ForwardOptions& options = {}) const = 0;
  // Number of tokens a given input produces (image models: patches + class token).
  virtual int sequence_length(const ModelInput& input) const = 0;
  virtual size_t parameter_count() const = 0;
  // Bytes of weights the model holds as its own float32 copies (norms, biases, positions, and any tensor that
  // cannot stay mapped); the rest is read in place from the checkpoint's mapped files.
  virtual size_t weight_copy_bytes() const = 0;
};

// Where a model keeps its weight matrices: in the checkpoint's mapped files as stored (F16/BF16 cost their
// file size), or as float32 copies that no longer depend on the files (twice a half checkpoint's size), for a
// long-lived process that must survive the files being truncated under it (the server: docs/security.md).
enum class WeightStorage { Mapped, Copied };

// Loads config.json and the safetensors weights of a local model folder; validates every tensor's shape.
std::unique_ptr<Model> load_model(const std::filesystem::path& model_dir,
                                  WeightStorage storage = WeightStorage::Mapped);

// softmax(scale * q k^T) per head, causal when asked; grouped-query heads share key heads.
std::vector<float> attention_probabilities(std::span<const float> q, std::span<const float> k, int num_heads,
                                           int num_kv_heads, int tokens, int head_dim, float scale,
                                           bool causal);

}  // namespace attnviz
