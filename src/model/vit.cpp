// ViT: the image cut into patches (the patch-embedding convolution is a matrix product over flattened
// patches), a class token in front, learned positions, pre-LN blocks and a final LayerNorm. ViTModel and
// ViTForImageClassification ("vit." prefix) checkpoints, 1 or 3 channels.
#include "core/error.hpp"
#include "model/transformer.hpp"
#include "model/weights.hpp"

namespace attnviz {
namespace {

struct VitBlock {
  Norm before, after;
  ops::Linear qkv, attn_out, intermediate, output;
};

class Vit : public Transformer {
 public:
  Vit(const ModelConfig& config, const std::filesystem::path& model_dir, WeightStorage storage)
      : Transformer(config) {
    const int d = config.hidden_size, inner = config.intermediate_size, c = config.num_channels,
              p = config.patch_size;
    activation_ = ops::parse_activation(config.activation);
    Weights w(model_dir, {"vit."}, "embeddings.cls_token", storage);
    class_token_ = w.load("embeddings.cls_token", {1, 1, d});
    positions_ = w.load("embeddings.position_embeddings", {1, config.max_positions, d});
    // The convolution's kernel [d, c, p, p] is a Linear over patches flattened channel, row, column.
    patch_ = {.in = c * p * p,
              .out = d,
              .in_major = false,
              .weight = {w.matrix("embeddings.patch_embeddings.projection.weight", {d, c, p, p})},
              .bias = w.load("embeddings.patch_embeddings.projection.bias", {d})};
    for (int l = 0; l < config.num_layers; ++l) {
      const std::string n = "encoder.layer." + std::to_string(l) + ".";
      const ops::Linear q = w.linear(n + "attention.attention.query", d, d, config.qkv_bias),
                        k = w.linear(n + "attention.attention.key", d, d, config.qkv_bias),
                        v = w.linear(n + "attention.attention.value", d, d, config.qkv_bias);
      blocks_.push_back({w.norm(n + "layernorm_before", d), w.norm(n + "layernorm_after", d),
                         fuse_linear({&q, &k, &v}), w.linear(n + "attention.output.dense", d, d),
                         w.linear(n + "intermediate.dense", d, inner),
                         w.linear(n + "output.dense", inner, d)});
    }
    final_norm_ = w.norm("layernorm", d);
    parameters_ = w.parameters_loaded();
    weight_copy_bytes_ = w.bytes_copied();
  }

  int sequence_length(const ModelInput&) const override { return config_.max_positions; }

 protected:
  void validate(const ModelInput& input, int index) const override {
    const size_t expected = size_t(config_.num_channels) * config_.image_size * config_.image_size;
    if (input.pixel_values.size() != expected)
      throw Error("sequence " + std::to_string(index) + ": " + std::to_string(input.pixel_values.size()) +
                  " pixel values, expected " + std::to_string(config_.num_channels) + "×" +
                  std::to_string(config_.image_size) + "×" + std::to_string(config_.image_size));
  }

  std::vector<float> run(std::span<const ModelInput> inputs, const Batch& batch,
                         std::vector<Capture>& captures) const override {
    const size_t d = size_t(config_.hidden_size), n = size_t(batch.total());
    std::vector<float> x(n * d), h(n * d), qkv(n * 3 * d), mlp(n * config_.intermediate_size);
    for (int s = 0; s < batch.size(); ++s) embed(inputs[s].pixel_values, x.data() + batch.start[s] * d);
    const AttentionShape shape = attention_shape(config_);
    for (int l = 0; l < config_.num_layers; ++l) {
      const VitBlock& b = blocks_[l];
      layernorm(x, b.before, h);
      ops::linear(b.qkv, h.data(), int(n), qkv.data());
      self_attention(shape, batch, qkv.data(), h.data(), captures, l);
      ops::linear(b.attn_out, h.data(), int(n), x.data(), true);
      layernorm(x, b.after, h);
      ops::linear(b.intermediate, h.data(), int(n), mlp.data());
      ops::activate(activation_, mlp.data(), mlp.size());
      ops::linear(b.output, mlp.data(), int(n), x.data(), true);
    }
    layernorm(x, final_norm_, x);
    return x;
  }

 private:
  // Writes the class token and the patch embeddings of one image, plus positions, into rows [tokens, d].
  void embed(const std::vector<float>& pixels, float* rows) const {
    const int p = config_.patch_size, size = config_.image_size, grid = size / p, c = config_.num_channels;
    const size_t d = size_t(config_.hidden_size), patch_len = size_t(c) * p * p;
    std::vector<float> patches(size_t(grid) * grid * patch_len);
    for (int r = 0; r < grid; ++r)
      for (int col = 0; col < grid; ++col) {
        float* out = patches.data() + (size_t(r) * grid + col) * patch_len;
        for (int ch = 0; ch < c; ++ch)
          for (int y = 0; y < p; ++y)
            for (int x = 0; x < p; ++x) *out++ = pixels[(size_t(ch) * size + r * p + y) * size + col * p + x];
      }
    std::copy(class_token_.begin(), class_token_.end(), rows);
    ops::linear(patch_, patches.data(), grid * grid, rows + d);
    ops::add(rows, positions_.data(), positions_.size());
  }

  void layernorm(const std::vector<float>& x, const Norm& norm, std::vector<float>& y) const {
    const int d = config_.hidden_size;
    ops::layernorm(x.data(), int(x.size() / d), d, norm.gamma.data(), norm.beta.data(), config_.norm_eps,
                   y.data());
  }

  ops::Activation activation_;
  std::vector<float> class_token_, positions_;
  ops::Linear patch_;
  std::vector<VitBlock> blocks_;
  Norm final_norm_;
};

}  // namespace

std::unique_ptr<Model> load_vit(const ModelConfig& config, const std::filesystem::path& model_dir,
                                WeightStorage storage) {
  return std::make_unique<Vit>(config, model_dir, storage);
}

}  // namespace attnviz
