#pragma once
// The arithmetic of a transformer over flat row-major float buffers: dense layers (OpenBLAS sgemm), norms,
// activations, softmax and rotary embeddings. Rows are tokens. Weight matrices stay where the checkpoint
// holds them (StoredRows: its memory mapping, F32, F16 or BF16), so a half-precision model costs its file
// size, not twice it; each product converts the block of weight rows it needs.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace attnviz::ops {

// How a stored matrix encodes its values.
enum class Storage { F32, F16, BF16 };

// A row-major matrix [rows, cols] read where it is stored: inside a checkpoint's memory mapping (not copied)
// or in a float32 copy. `owner` keeps that memory alive (the mapped file, or the copy).
struct StoredRows {
  std::shared_ptr<const void> owner;
  const std::byte* data = nullptr;  // F32 data is float-aligned; halves may have any alignment
  Storage storage = Storage::F32;
  int rows = 0, cols = 0;

  // out[count, cols] = rows first .. first + count − 1 as float32 (halves converted exactly).
  void to_f32(int first, int count, float* out) const;
  // The values themselves when stored as float32; nullptr for halves.
  const float* f32() const;
};

// A float32 copy as StoredRows: values [rows, cols].
StoredRows owned_rows(std::vector<float> values, int rows, int cols);

// y = x·Wᵀ + b. W is stored [out, in] (torch.nn.Linear) or, with in_major, [in, out] (GPT-2's Conv1D).
struct Linear {
  int in = 0, out = 0;
  bool in_major = false;
  // W's stored rows as consecutive parts: one per checkpoint tensor (a fused projection has several, q | k |
  // v, stacked along W's first dimension). Their rows add up to out (in with in_major); cols is in (out).
  std::vector<StoredRows> weight;
  std::vector<float> bias;  // empty: no bias
};

// y[rows, out] = x[rows, in]·W + b; with accumulate, y += x·W + b (a residual connection). Float32 parts go
// to sgemm as they are; half parts are converted a block of rows at a time (kHalfBlockValues values) into a
// buffer of the calling thread, and each block is one sgemm.
void linear(const Linear& layer, const float* x, int rows, float* y, bool accumulate = false);
// 4 MB of float32: small beside the weights, big enough that sgemm runs at full speed on each block.
inline constexpr size_t kHalfBlockValues = size_t(1) << 20;

// y = (x − mean) / sqrt(var + eps) · gamma + beta, per row of dim values (y may equal x).
void layernorm(const float* x, int rows, int dim, const float* gamma, const float* beta, float eps, float* y);
// y = x / sqrt(mean(x²) + eps) · gamma, per row (LLaMA's RMSNorm; y may equal x).
void rmsnorm(const float* x, int rows, int dim, const float* gamma, float eps, float* y);

enum class Activation { Gelu, GeluTanh, Silu, Relu };
// Hugging Face's hidden_act / activation_function names: gelu, gelu_new (and its aliases), silu, relu.
Activation parse_activation(const std::string& name);
void activate(Activation activation, float* x, size_t n);
void gelu(float* x, size_t n);       // x·Φ(x), with erf
void gelu_tanh(float* x, size_t n);  // the tanh approximation ("gelu_new")
void silu(float* x, size_t n);       // x·σ(x)

// x[i] *= y[i]
void multiply(float* x, const float* y, size_t n);
// x[i] += y[i]
void add(float* x, const float* y, size_t n);

// In place over the first n values; values from n to row_size−1 (masked keys) are set to 0.
void softmax(float* row, int n, int row_size);

// Rotary position embeddings with Hugging Face's rotate_half convention: the head vector's first half holds
// the real parts, its second half the imaginary parts. The table holds cos and sin per position and
// frequency.
struct RopeTable {
  int head_dim = 0;
  std::vector<float> cos, sin;  // [positions, head_dim / 2]
};
// How a checkpoint stretches its rotary embedding past the context it was pre-trained on (config.json's
// rope_type; transformers' rope init functions of the same names).
struct RopeScaling {
  enum class Type {
    None,    // default: inv_freq = 1 / θ^(2i/d)
    Linear,  // every frequency divided by factor (positions divided by factor)
    Llama3,  // long wavelengths divided by factor, short ones kept, a smooth blend between
  };
  Type type = Type::None;
  float factor = 1.0f;  // linear and llama3; > 0
  // llama3: wavelengths above original_positions / low_freq_factor are divided by factor, those below
  // original_positions / high_freq_factor kept; 0 < low_freq_factor < high_freq_factor.
  float low_freq_factor = 1.0f, high_freq_factor = 4.0f;
  int original_positions = 8192;  // the pre-training context (original_max_position_embeddings)
};
// The rotation's frequency per pair of a head vector, [head_dim / 2], in transformers' float32 arithmetic.
std::vector<float> rope_inv_freq(int head_dim, float theta, const RopeScaling& scaling);
RopeTable rope_table(int positions, int head_dim, float theta, const RopeScaling& scaling);
// x: `tokens` rows of `heads` head vectors each (row stride `stride`), the first at position
// `first_position`.
void apply_rope(const RopeTable& table, float* x, int tokens, int stride, int heads, int first_position);

}  // namespace attnviz::ops
