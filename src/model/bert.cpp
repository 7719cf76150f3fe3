// BERT and RoBERTa encoders: word + position + token-type embeddings and an embedding LayerNorm, then
// post-LN blocks (x = LN(x + attention(x)), x = LN(x + MLP(x))); no final norm. Checkpoints with or without
// the "bert." / "roberta." prefix. RoBERTa numbers positions from padding_idx + 1. Sequences are never padded
// here (each runs at its own length), so no attention mask is needed.
#include "model/transformer.hpp"
#include "model/weights.hpp"

namespace attnviz {
namespace {

struct BertBlock {
  ops::Linear qkv, attn_out, intermediate, output;
  Norm attn_norm, output_norm;
};

class Bert : public Transformer {
 public:
  Bert(const ModelConfig& config, const std::filesystem::path& model_dir, WeightStorage storage)
      : Transformer(config) {
    const int d = config.hidden_size, inner = config.intermediate_size;
    activation_ = ops::parse_activation(config.activation);
    Weights w(model_dir, {"bert.", "roberta."}, "embeddings.word_embeddings.weight", storage);
    words_ = w.matrix("embeddings.word_embeddings.weight", {config.vocab_size, d});
    positions_ = w.load("embeddings.position_embeddings.weight", {config.max_positions, d});
    types_ = w.load("embeddings.token_type_embeddings.weight", {config.type_vocab_size, d});
    embedding_norm_ = w.norm("embeddings.LayerNorm", d);
    for (int l = 0; l < config.num_layers; ++l) {
      const std::string p = "encoder.layer." + std::to_string(l) + ".";
      const ops::Linear q = w.linear(p + "attention.self.query", d, d),
                        k = w.linear(p + "attention.self.key", d, d),
                        v = w.linear(p + "attention.self.value", d, d);
      blocks_.push_back({fuse_linear({&q, &k, &v}), w.linear(p + "attention.output.dense", d, d),
                         w.linear(p + "intermediate.dense", d, inner), w.linear(p + "output.dense", inner, d),
                         w.norm(p + "attention.output.LayerNorm", d), w.norm(p + "output.LayerNorm", d)});
    }
    parameters_ = w.parameters_loaded();
    weight_copy_bytes_ = w.bytes_copied();
  }

 protected:
  std::vector<float> run(std::span<const ModelInput> inputs, const Batch& batch,
                         std::vector<Capture>& captures) const override {
    const size_t d = size_t(config_.hidden_size), n = size_t(batch.total());
    std::vector<float> x(n * d), h(n * d), qkv(n * 3 * d), mlp(n * config_.intermediate_size);
    for (int s = 0; s < batch.size(); ++s) {
      const ModelInput& input = inputs[s];
      for (int t = 0; t < batch.length(s); ++t) {
        float* row = x.data() + (batch.start[s] + t) * d;
        words_.to_f32(input.input_ids[t], 1, row);
        const float* position = positions_.data() + size_t(config_.position_offset + t) * d;
        const float* type =
            types_.data() + size_t(input.token_type_ids.empty() ? 0 : input.token_type_ids[t]) * d;
        for (size_t i = 0; i < d; ++i) row[i] = row[i] + type[i] + position[i];
      }
    }
    layernorm(x, embedding_norm_);
    const AttentionShape shape = attention_shape(config_);
    for (int l = 0; l < config_.num_layers; ++l) {
      const BertBlock& b = blocks_[l];
      ops::linear(b.qkv, x.data(), int(n), qkv.data());
      self_attention(shape, batch, qkv.data(), h.data(), captures, l);
      ops::linear(b.attn_out, h.data(), int(n), x.data(), true);
      layernorm(x, b.attn_norm);
      ops::linear(b.intermediate, x.data(), int(n), mlp.data());
      ops::activate(activation_, mlp.data(), mlp.size());
      ops::linear(b.output, mlp.data(), int(n), x.data(), true);
      layernorm(x, b.output_norm);
    }
    return x;
  }

 private:
  void layernorm(std::vector<float>& x, const Norm& norm) const {
    const int d = config_.hidden_size;
    ops::layernorm(x.data(), int(x.size() / d), d, norm.gamma.data(), norm.beta.data(), config_.norm_eps,
                   x.data());
  }

  ops::Activation activation_;
  ops::StoredRows words_;  // [vocab, d]
  std::vector<float> positions_, types_;
  Norm embedding_norm_;
  std::vector<BertBlock> blocks_;
};

}  // namespace

std::unique_ptr<Model> load_bert(const ModelConfig& config, const std::filesystem::path& model_dir,
                                 WeightStorage storage) {
  return std::make_unique<Bert>(config, model_dir, storage);
}

}  // namespace attnviz
