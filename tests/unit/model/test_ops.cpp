// The arithmetic kernels against their textbook definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "core/half.hpp"
#include "model/model.hpp"
#include "model/ops.hpp"

namespace attnviz {
namespace {

std::vector<float> range(float from, float to, int n) {
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = from + (to - from) * float(i) / float(n - 1);
  return x;
}

TEST(Ops, ActivationsMatchTheirDefinitions) {
  const std::vector<float> x = range(-12.0f, 12.0f, 2401);
  std::vector<float> gelu = x, tanh_gelu = x, silu = x;
  ops::gelu(gelu.data(), gelu.size());
  ops::gelu_tanh(tanh_gelu.data(), tanh_gelu.size());
  ops::silu(silu.data(), silu.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    const double exact_gelu = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    const double exact_tanh = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    const double exact_silu = v / (1.0 + std::exp(-v));
    EXPECT_NEAR(gelu[i], exact_gelu, 1e-6 * std::max(1.0, std::abs(v))) << v;
    EXPECT_NEAR(tanh_gelu[i], exact_tanh, 1e-6 * std::max(1.0, std::abs(v))) << v;
    EXPECT_NEAR(silu[i], exact_silu, 1e-6 * std::max(1.0, std::abs(v))) << v;
  }
  EXPECT_EQ(ops::parse_activation("gelu_pytorch_tanh"), ops::Activation::GeluTanh);
  EXPECT_THROW(ops::parse_activation("mish"), Error);
}

TEST(Ops, SoftmaxNormalisesAndMasks) {
  std::vector<float> row{1.0f, 2.0f, 3.0f, 100.0f};
  ops::softmax(row.data(), 3, 4);  // the 4th key is masked
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(row[0], std::exp(1.0) / z, 1e-7);
  EXPECT_NEAR(row[1], std::exp(2.0) / z, 1e-7);
  EXPECT_NEAR(row[2], std::exp(3.0) / z, 1e-7);
  EXPECT_EQ(row[3], 0.0f);
  std::vector<float> extreme{-1e4f, 0.0f, 80.0f};
  ops::softmax(extreme.data(), 3, 3);
  EXPECT_NEAR(extreme[2], 1.0f, 1e-7);
  EXPECT_EQ(extreme[0], 0.0f);
}

TEST(Ops, NormsAndLinear) {
  const std::vector<float> x{1.0f, 2.0f, 3.0f, 4.0f}, gamma{1.0f, 1.0f, 2.0f, 2.0f},
      beta{0.0f, 0.0f, 0.0f, 1.0f};
  std::vector<float> y(4);
  ops::layernorm(x.data(), 1, 4, gamma.data(), beta.data(), 0.0f, y.data());
  const float sd = std::sqrt(1.25f);  // variance of 1..4 around 2.5
  EXPECT_NEAR(y[0], -1.5f / sd, 1e-6);
  EXPECT_NEAR(y[3], 2.0f * 1.5f / sd + 1.0f, 1e-6);
  ops::rmsnorm(x.data(), 1, 4, gamma.data(), 0.0f, y.data());
  EXPECT_NEAR(y[2], 2.0f * 3.0f / std::sqrt(7.5f), 1e-6);  // mean of squares 30/4

  // [2 rows, 3 in] → 2 out, as torch.nn.Linear ([out, in]) and as Conv1D ([in, out]).
  const std::vector<float> in{1, 2, 3, 4, 5, 6};
  const ops::Linear linear{.in = 3,
                           .out = 2,
                           .in_major = false,
                           .weight = {ops::owned_rows({1, 0, 0, 0, 1, 1}, 2, 3)},
                           .bias = {10, 20}};
  const ops::Linear conv{.in = 3,
                         .out = 2,
                         .in_major = true,
                         .weight = {ops::owned_rows({1, 0, 0, 1, 0, 1}, 3, 2)},
                         .bias = {10, 20}};
  for (const ops::Linear* layer : {&linear, &conv}) {
    std::vector<float> out(4, 100.0f);
    ops::linear(*layer, in.data(), 2, out.data());
    EXPECT_EQ(out, (std::vector<float>{11, 25, 14, 31}));
    ops::linear(*layer, in.data(), 2, out.data(), true);  // residual: out += x·W + b
    EXPECT_EQ(out, (std::vector<float>{22, 50, 28, 62}));
  }
}

// Half-precision stored rows as a mapping holds them: their bits, behind an owner.
ops::StoredRows half_rows(const std::vector<uint16_t>& bits, ops::Storage storage, int rows, int cols) {
  auto copy = std::make_shared<const std::vector<uint16_t>>(bits);
  const auto* data = reinterpret_cast<const std::byte*>(copy->data());
  return {.owner = copy, .data = data, .storage = storage, .rows = rows, .cols = cols};
}

// A layer whose weights are halves computes what the same layer computes from a float32 copy of the rounded
// weights, when the product runs over several converted blocks (a part larger than kHalfBlockValues), over
// several parts (a fused projection) and in both weight orders.
TEST(Ops, HalfWeightsComputeWhatTheirFloat32CopyComputes) {
  // Blocks of 2^20 values: 419 rows of 2500 (the first part is 3 blocks), or 1165 rows of 900 (in_major: 3).
  const int in = 2500, parts_out[] = {900, 200, 7}, rows = 5;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> x(size_t(rows) * in);
  for (float& v : x) v = normal(rng);
  for (const ops::Storage storage : {ops::Storage::F16, ops::Storage::BF16}) {
    for (const bool in_major : {false, true}) {
      ops::Linear half{.in = in, .out = 0, .in_major = in_major, .weight = {}, .bias = {}};
      ops::Linear copy = half;
      for (const int out : parts_out) {
        // in_major: one part [in, out] (Conv1D layers are never fused); otherwise parts [out, in] stacked.
        if (in_major && out != parts_out[0]) continue;
        const int stored_rows = in_major ? in : out, cols = in_major ? out : in;
        std::vector<uint16_t> bits(size_t(stored_rows) * cols);
        std::vector<float> rounded(bits.size());
        for (size_t i = 0; i < bits.size(); ++i) {
          const float v = normal(rng);
          bits[i] = storage == ops::Storage::F16 ? f32_to_f16(v) : f32_to_bf16(v);
          rounded[i] = storage == ops::Storage::F16 ? f16_to_f32(bits[i]) : bf16_to_f32(bits[i]);
        }
        half.weight.push_back(half_rows(bits, storage, stored_rows, cols));
        copy.weight.push_back(ops::owned_rows(rounded, stored_rows, cols));
        half.out = copy.out = half.out + out;
      }
      half.bias = copy.bias = std::vector<float>(size_t(half.out), 0.5f);
      std::vector<float> from_half(size_t(rows) * half.out, 1.0f), from_copy = from_half;
      ops::linear(half, x.data(), rows, from_half.data(), true);
      ops::linear(copy, x.data(), rows, from_copy.data(), true);
      float worst = 0.0f;
      for (size_t i = 0; i < from_half.size(); ++i)
        worst = std::max(worst, std::abs(from_half[i] - from_copy[i]));
      // Blocks split an in_major product's sum into partial sums: float32 rounding only.
      EXPECT_LE(worst, in_major ? 1e-6f : 0.0f) << int(storage) << " in_major " << in_major;
    }
  }
}

TEST(Ops, RopeRotatesPairsOfHalves) {
  const int head_dim = 8, half = 4;
  const ops::RopeTable table = ops::rope_table(16, head_dim, 10000.0f, {});
  std::vector<float> x = range(-1.0f, 1.0f, 2 * head_dim);  // 1 token, 2 heads
  const std::vector<float> original = x;
  ops::apply_rope(table, x.data(), 1, 2 * head_dim, 2, 5);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < half; ++i) {
      const double angle = 5.0 / std::pow(10000.0, 2.0 * i / head_dim);
      const double re = original[h * head_dim + i], im = original[h * head_dim + i + half];
      EXPECT_NEAR(x[h * head_dim + i], re * std::cos(angle) - im * std::sin(angle), 1e-6);
      EXPECT_NEAR(x[h * head_dim + i + half], im * std::cos(angle) + re * std::sin(angle), 1e-6);
    }
  std::vector<float> at_zero = original;
  ops::apply_rope(table, at_zero.data(), 1, 2 * head_dim, 2, 0);
  EXPECT_EQ(at_zero, original);
}

TEST(Ops, AttentionProbabilitiesCausalAndGrouped) {
  const int heads = 4, kv_heads = 2, tokens = 5, head_dim = 3;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> q(heads * tokens * head_dim), k(kv_heads * tokens * head_dim);
  for (float& v : q) v = normal(rng);
  for (float& v : k) v = normal(rng);
  const float scale = 0.7f;
  const std::vector<float> p = attention_probabilities(q, k, heads, kv_heads, tokens, head_dim, scale, true);
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < tokens; ++i) {
      std::vector<double> scores(i + 1);
      double total = 0.0;
      for (int j = 0; j <= i; ++j) {
        double dot = 0.0;
        for (int d = 0; d < head_dim; ++d)
          dot += q[(h * tokens + i) * head_dim + d] * k[((h / 2) * tokens + j) * head_dim + d];
        scores[j] = std::exp(scale * dot);
        total += scores[j];
      }
      for (int j = 0; j < tokens; ++j)
        EXPECT_NEAR(p[(h * tokens + i) * tokens + j], j <= i ? scores[j] / total : 0.0, 1e-6);
    }
  EXPECT_THROW(attention_probabilities(q, k, heads, 3, tokens, head_dim, scale, true), Error);
  EXPECT_THROW(attention_probabilities(q, k, heads, kv_heads, tokens + 1, head_dim, scale, true), Error);
}

}  // namespace
}  // namespace attnviz
