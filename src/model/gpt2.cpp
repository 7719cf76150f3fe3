// GPT-2: learned positions, pre-LN blocks, Conv1D weights stored [in, out], one fused c_attn projection,
// causal attention, final ln_f. Checkpoints with or without the "transformer." prefix (GPT2Model or
// GPT2LMHeadModel); the buffers attn.bias / attn.masked_bias of old checkpoints are not weights and are
// ignored.
#include "model/transformer.hpp"
#include "model/weights.hpp"

namespace attnviz {
namespace {

struct Gpt2Block {
  Norm ln_1, ln_2;
  ops::Linear c_attn, attn_proj, c_fc, mlp_proj;
};

class Gpt2 : public Transformer {
 public:
  Gpt2(const ModelConfig& config, const std::filesystem::path& model_dir, WeightStorage storage)
      : Transformer(config) {
    const int d = config.hidden_size;
    activation_ = ops::parse_activation(config.activation);
    Weights w(model_dir, {"transformer."}, "wte.weight", storage);
    wte_ = w.matrix("wte.weight", {config.vocab_size, d});
    wpe_ = w.load("wpe.weight", {config.max_positions, d});
    for (int l = 0; l < config.num_layers; ++l) {
      const std::string p = "h." + std::to_string(l) + ".";
      blocks_.push_back({w.norm(p + "ln_1", d), w.norm(p + "ln_2", d), w.conv1d(p + "attn.c_attn", d, 3 * d),
                         w.conv1d(p + "attn.c_proj", d, d),
                         w.conv1d(p + "mlp.c_fc", d, config.intermediate_size),
                         w.conv1d(p + "mlp.c_proj", config.intermediate_size, d)});
    }
    ln_f_ = w.norm("ln_f", d);
    parameters_ = w.parameters_loaded();
    weight_copy_bytes_ = w.bytes_copied();
  }

 protected:
  std::vector<float> run(std::span<const ModelInput> inputs, const Batch& batch,
                         std::vector<Capture>& captures) const override {
    const size_t d = size_t(config_.hidden_size), n = size_t(batch.total());
    const float eps = config_.norm_eps;
    std::vector<float> x(n * d), h(n * d), qkv(n * 3 * d), mlp(n * config_.intermediate_size);
    for (int s = 0; s < batch.size(); ++s) {
      for (int t = 0; t < batch.length(s); ++t) {
        float* row = x.data() + (batch.start[s] + t) * d;
        wte_.to_f32(inputs[s].input_ids[t], 1, row);
        ops::add(row, wpe_.data() + size_t(t) * d, d);
      }
    }
    const AttentionShape shape = attention_shape(config_);
    for (int l = 0; l < config_.num_layers; ++l) {
      const Gpt2Block& b = blocks_[l];
      ops::layernorm(x.data(), int(n), int(d), b.ln_1.gamma.data(), b.ln_1.beta.data(), eps, h.data());
      ops::linear(b.c_attn, h.data(), int(n), qkv.data());
      self_attention(shape, batch, qkv.data(), h.data(), captures, l);
      ops::linear(b.attn_proj, h.data(), int(n), x.data(), true);
      ops::layernorm(x.data(), int(n), int(d), b.ln_2.gamma.data(), b.ln_2.beta.data(), eps, h.data());
      ops::linear(b.c_fc, h.data(), int(n), mlp.data());
      ops::activate(activation_, mlp.data(), mlp.size());
      ops::linear(b.mlp_proj, mlp.data(), int(n), x.data(), true);
    }
    ops::layernorm(x.data(), int(n), int(d), ln_f_.gamma.data(), ln_f_.beta.data(), eps, x.data());
    return x;
  }

 private:
  ops::Activation activation_;
  ops::StoredRows wte_;  // [vocab, d]
  std::vector<float> wpe_;
  std::vector<Gpt2Block> blocks_;
  Norm ln_f_;
};

}  // namespace

std::unique_ptr<Model> load_gpt2(const ModelConfig& config, const std::filesystem::path& model_dir,
                                 WeightStorage storage) {
  return std::make_unique<Gpt2>(config, model_dir, storage);
}

}  // namespace attnviz
