// The LLaMA family (LLaMA, Mistral, Qwen2): RMSNorm, rotary positions (HF rotate_half convention), SwiGLU
// MLP, grouped-query attention, optional q/k/v biases (Qwen2; LLaMA's attention_bias also biases o_proj),
// final norm. The language-model head is not needed for q/k, so tied and untied embeddings load alike.
#include "model/transformer.hpp"
#include "model/weights.hpp"

namespace attnviz {
namespace {

struct LlamaBlock {
  Norm input_norm, post_attention_norm;
  ops::Linear qkv, o_proj, gate_up, down;
};

class Llama : public Transformer {
 public:
  Llama(const ModelConfig& config, const std::filesystem::path& model_dir, WeightStorage storage)
      : Transformer(config),
        rope_(
            ops::rope_table(config.max_positions, config.head_dim, config.rope_theta, config.rope_scaling)) {
    const int d = config.hidden_size, inner = config.intermediate_size;
    const int q_width = config.num_heads * config.head_dim, kv_width = config.num_kv_heads * config.head_dim;
    activation_ = ops::parse_activation(config.activation);
    Weights w(model_dir, {"model."}, "embed_tokens.weight", storage);
    embed_ = w.matrix("embed_tokens.weight", {config.vocab_size, d});
    for (int l = 0; l < config.num_layers; ++l) {
      const std::string p = "layers." + std::to_string(l) + ".";
      const bool bias = config.attention_bias;
      const ops::Linear q = w.linear(p + "self_attn.q_proj", d, q_width, bias),
                        k = w.linear(p + "self_attn.k_proj", d, kv_width, bias),
                        v = w.linear(p + "self_attn.v_proj", d, kv_width, bias),
                        gate = w.linear(p + "mlp.gate_proj", d, inner, config.mlp_bias),
                        up = w.linear(p + "mlp.up_proj", d, inner, config.mlp_bias);
      blocks_.push_back(
          {w.norm(p + "input_layernorm", d, false), w.norm(p + "post_attention_layernorm", d, false),
           fuse_linear({&q, &k, &v}), w.linear(p + "self_attn.o_proj", q_width, d, config.output_bias),
           fuse_linear({&gate, &up}), w.linear(p + "mlp.down_proj", inner, d, config.mlp_bias)});
    }
    final_norm_ = w.norm("norm", d, false);
    parameters_ = w.parameters_loaded();
    weight_copy_bytes_ = w.bytes_copied();
  }

 protected:
  std::vector<float> run(std::span<const ModelInput> inputs, const Batch& batch,
                         std::vector<Capture>& captures) const override {
    const size_t d = size_t(config_.hidden_size), n = size_t(batch.total()),
                 inner = config_.intermediate_size;
    const AttentionShape shape = attention_shape(config_);
    std::vector<float> x(n * d), h(n * d), qkv(n * shape.qkv_width()), attended(n * shape.q_width()),
        gate_up(n * 2 * inner), mlp(n * inner);
    for (int s = 0; s < batch.size(); ++s)
      for (int t = 0; t < batch.length(s); ++t)
        embed_.to_f32(inputs[s].input_ids[t], 1, x.data() + (batch.start[s] + t) * d);
    for (int l = 0; l < config_.num_layers; ++l) {
      const LlamaBlock& b = blocks_[l];
      rmsnorm(x, b.input_norm, h);
      ops::linear(b.qkv, h.data(), int(n), qkv.data());
      for (int s = 0; s < batch.size(); ++s) {
        float* rows = qkv.data() + size_t(batch.start[s]) * shape.qkv_width();
        ops::apply_rope(rope_, rows, batch.length(s), shape.qkv_width(), shape.num_heads, 0);
        ops::apply_rope(rope_, rows + shape.q_width(), batch.length(s), shape.qkv_width(), shape.num_kv_heads,
                        0);
      }
      self_attention(shape, batch, qkv.data(), attended.data(), captures, l);
      ops::linear(b.o_proj, attended.data(), int(n), x.data(), true);
      rmsnorm(x, b.post_attention_norm, h);
      ops::linear(b.gate_up, h.data(), int(n), gate_up.data());
      for (size_t t = 0; t < n; ++t) {
        float* gate = gate_up.data() + t * 2 * inner;
        ops::activate(activation_, gate, inner);
        ops::multiply(gate, gate + inner, inner);
        std::copy_n(gate, inner, mlp.data() + t * inner);
      }
      ops::linear(b.down, mlp.data(), int(n), x.data(), true);
    }
    rmsnorm(x, final_norm_, x);
    return x;
  }

 private:
  void rmsnorm(const std::vector<float>& x, const Norm& norm, std::vector<float>& y) const {
    const int d = config_.hidden_size;
    ops::rmsnorm(x.data(), int(x.size() / d), d, norm.gamma.data(), config_.norm_eps, y.data());
  }

  ops::Activation activation_;
  ops::RopeTable rope_;
  ops::StoredRows embed_;  // [vocab, d]
  std::vector<LlamaBlock> blocks_;
  Norm final_norm_;
};

}  // namespace

std::unique_ptr<Model> load_llama(const ModelConfig& config, const std::filesystem::path& model_dir,
                                  WeightStorage storage) {
  return std::make_unique<Llama>(config, model_dir, storage);
}

}  // namespace attnviz
