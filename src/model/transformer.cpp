#include "model/transformer.hpp"

#include <cblas.h>

#include <algorithm>

#include "core/error.hpp"

namespace attnviz {

Capture Transformer::forward(const ModelInput& input, const ForwardOptions& options) const {
  return std::move(forward_batch(std::span<const ModelInput>(&input, 1), options).front());
}

std::vector<Capture> Transformer::forward_batch(std::span<const ModelInput> inputs,
                                                const ForwardOptions& options) const {
  Batch batch;
  batch.start.push_back(0);
  for (size_t i = 0; i < inputs.size(); ++i) {
    validate(inputs[i], int(i));
    batch.start.push_back(batch.start.back() + sequence_length(inputs[i]));
  }
  const AttentionShape shape = attention_shape(config_);
  std::vector<Capture> captures(inputs.size());
  for (int s = 0; s < batch.size(); ++s) {
    const size_t tokens = size_t(batch.length(s));
    captures[s].tokens = int(tokens);
    captures[s].layers.resize(config_.num_layers);
    for (LayerCapture& layer : captures[s].layers) {
      layer.q.resize(tokens * shape.q_width());
      layer.k.resize(tokens * shape.kv_width());
      if (options.values) layer.v.resize(tokens * shape.kv_width());
      if (options.attention) layer.attn.resize(size_t(shape.num_heads) * tokens * tokens);
    }
  }
  if (inputs.empty()) return captures;
  const std::vector<float> hidden = run(inputs, batch, captures);
  if (options.hidden) {
    const size_t width = size_t(config_.hidden_size);
    for (int s = 0; s < batch.size(); ++s)
      captures[s].hidden.assign(hidden.begin() + batch.start[s] * width,
                                hidden.begin() + batch.start[s + 1] * width);
  }
  return captures;
}

void Transformer::validate(const ModelInput& input, int index) const {
  validate_text(input, index, config_.position_offset);
}

void Transformer::validate_text(const ModelInput& input, int index, int position_offset) const {
  const std::string where = "sequence " + std::to_string(index) + ": ";
  const size_t tokens = input.input_ids.size();
  if (tokens == 0) throw Error(where + "no tokens");
  const size_t positions = size_t(config_.max_positions - position_offset);
  if (tokens > positions)
    throw Error(where + std::to_string(tokens) + " tokens, more than the model's " +
                std::to_string(positions) + " positions");
  for (size_t t = 0; t < tokens; ++t) {
    const int32_t id = input.input_ids[t];
    if (id < 0 || id >= config_.vocab_size)
      throw Error(where + "token id " + std::to_string(id) + " at position " + std::to_string(t) +
                  " is outside the vocabulary of " + std::to_string(config_.vocab_size) + " tokens");
  }
  if (input.token_type_ids.empty()) return;
  if (input.token_type_ids.size() != tokens)
    throw Error(where + std::to_string(input.token_type_ids.size()) + " token type ids for " +
                std::to_string(tokens) + " tokens");
  for (size_t t = 0; t < tokens; ++t) {
    const int32_t type = input.token_type_ids[t];
    if (type < 0 || type >= std::max(config_.type_vocab_size, 1))
      throw Error(where + "token type id " + std::to_string(type) + " at position " + std::to_string(t) +
                  " is outside the model's " + std::to_string(std::max(config_.type_vocab_size, 1)) +
                  " types");
  }
}

AttentionShape attention_shape(const ModelConfig& config) {
  return {config.num_heads, config.num_kv_heads, config.head_dim, config.attention_scale, config.causal};
}

namespace {

// scores[T, T] = scale · q·kᵀ for one head, then softmax per row (over keys j ≤ i when causal).
void head_probabilities(const float* q, int q_stride, const float* k, int k_stride, int tokens, int head_dim,
                        float scale, bool causal, float* scores) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tokens, tokens, head_dim, scale, q, q_stride, k,
              k_stride, 0.0f, scores, tokens);
  for (int i = 0; i < tokens; ++i) ops::softmax(scores + size_t(i) * tokens, causal ? i + 1 : tokens, tokens);
}

// Copies `heads` head vectors of every token (rows of `stride` floats) into [heads, tokens, head_dim].
void split_heads(const float* rows, int stride, int tokens, int heads, int head_dim, float* out) {
  for (int h = 0; h < heads; ++h)
    for (int t = 0; t < tokens; ++t)
      std::copy_n(rows + size_t(t) * stride + size_t(h) * head_dim, head_dim,
                  out + (size_t(h) * tokens + t) * head_dim);
}

}  // namespace

void self_attention(const AttentionShape& shape, const Batch& batch, const float* qkv, float* out,
                    std::vector<Capture>& captures, int layer) {
  const int stride = shape.qkv_width(), hd = shape.head_dim, group = shape.num_heads / shape.num_kv_heads;
  int longest = 0;
  for (int s = 0; s < batch.size(); ++s) longest = std::max(longest, batch.length(s));
  std::vector<float> scores(size_t(longest) * longest);
  for (int s = 0; s < batch.size(); ++s) {
    const int tokens = batch.length(s);
    const float* rows = qkv + size_t(batch.start[s]) * stride;
    const float* keys = rows + shape.q_width();
    const float* values = keys + shape.kv_width();
    LayerCapture& capture = captures[s].layers[layer];
    split_heads(rows, stride, tokens, shape.num_heads, hd, capture.q.data());
    split_heads(keys, stride, tokens, shape.num_kv_heads, hd, capture.k.data());
    if (!capture.v.empty()) split_heads(values, stride, tokens, shape.num_kv_heads, hd, capture.v.data());
    for (int h = 0; h < shape.num_heads; ++h) {
      const int kv = h / group;
      head_probabilities(rows + h * hd, stride, keys + kv * hd, stride, tokens, hd, shape.scale, shape.causal,
                         scores.data());
      if (!capture.attn.empty())
        std::copy_n(scores.data(), size_t(tokens) * tokens,
                    capture.attn.data() + size_t(h) * tokens * tokens);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, tokens, hd, tokens, 1.0f, scores.data(), tokens,
                  values + kv * hd, stride, 0.0f, out + size_t(batch.start[s]) * shape.q_width() + h * hd,
                  shape.q_width());
    }
  }
}

ops::Linear fuse_linear(const std::vector<const ops::Linear*>& parts) {
  ops::Linear fused;
  fused.in = parts.front()->in;
  bool any_bias = false;
  for (const ops::Linear* part : parts) any_bias = any_bias || !part->bias.empty();
  for (const ops::Linear* part : parts) {
    fused.out += part->out;
    fused.weight.insert(fused.weight.end(), part->weight.begin(), part->weight.end());  // no copy of values
    if (!any_bias) continue;
    if (part->bias.empty())
      fused.bias.resize(fused.bias.size() + part->out, 0.0f);
    else
      fused.bias.insert(fused.bias.end(), part->bias.begin(), part->bias.end());
  }
  return fused;
}

std::vector<float> attention_probabilities(std::span<const float> q, std::span<const float> k, int num_heads,
                                           int num_kv_heads, int tokens, int head_dim, float scale,
                                           bool causal) {
  if (num_heads <= 0 || num_kv_heads <= 0 || num_heads % num_kv_heads != 0 || tokens < 0 || head_dim <= 0)
    throw Error("attention_probabilities: inconsistent head counts or sizes");
  const size_t head_size = size_t(tokens) * head_dim;
  if (q.size() != num_heads * head_size || k.size() != num_kv_heads * head_size)
    throw Error("attention_probabilities: q or k has the wrong number of values");
  std::vector<float> probabilities(size_t(num_heads) * tokens * tokens);
  if (tokens == 0) return probabilities;
  const int group = num_heads / num_kv_heads;
  for (int h = 0; h < num_heads; ++h)
    head_probabilities(q.data() + h * head_size, head_dim, k.data() + (h / group) * head_size, head_dim,
                       tokens, head_dim, scale, causal, probabilities.data() + size_t(h) * tokens * tokens);
  return probabilities;
}

}  // namespace attnviz
