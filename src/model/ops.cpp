#include "model/ops.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "core/error.hpp"
#include "core/half.hpp"

// Element-wise loops must vectorise: activations and softmax touch every value of every layer. GCC keeps
// the clamps in fast_exp as branches unless it may ignore floating-point traps, and compiles each hot loop
// for AVX-512 and AVX2 as well as the baseline (picked at run time), since the build targets x86-64-v2.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#define ATTNVIZ_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ATTNVIZ_VECTOR_CLONES
#endif

namespace attnviz::ops {
namespace {

// exp(x) to about 2 ulp (Cephes' expf polynomial), written branch-free so loops over it vectorise:
// std::exp is a library call per element, and activations and softmax run it billions of times.
inline float fast_exp(float input) {
  float x = input < -87.0f ? -87.0f : input;  // no std:: calls: GCC will not inline them into these functions
  x = x > 88.0f ? 88.0f : x;
  const float shift = 12582912.0f;  // 1.5·2^23: adding and subtracting it rounds to the nearest integer
  const float n = (x * 1.44269504088896341f + shift) - shift;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t exponent = (int32_t(n) + 127) << 23;
  return input < -87.0f ? 0.0f : y * __builtin_bit_cast(float, exponent);  // below float's normal range
}

}  // namespace

void StoredRows::to_f32(int first, int count, float* out) const {
  const size_t n = size_t(count) * size_t(cols), start = size_t(first) * size_t(cols);
  switch (storage) {
    case Storage::F32:
      std::copy_n(f32() + start, n, out);
      return;
    case Storage::F16:
      return f16_to_f32_row(data + start * 2, out, n);
    case Storage::BF16:
      return bf16_to_f32_row(data + start * 2, out, n);
  }
}

const float* StoredRows::f32() const {
  return storage == Storage::F32 ? reinterpret_cast<const float*>(data) : nullptr;
}

StoredRows owned_rows(std::vector<float> values, int rows, int cols) {
  if (values.size() != size_t(rows) * size_t(cols)) throw Error("owned_rows: values do not fill the matrix");
  auto copy = std::make_shared<const std::vector<float>>(std::move(values));
  const auto* data = reinterpret_cast<const std::byte*>(copy->data());
  return {.owner = std::move(copy), .data = data, .storage = Storage::F32, .rows = rows, .cols = cols};
}

namespace {

// y[rows, out] += x·Wᵀ over W's stored rows first .. first + count − 1 (float32 w [count, in]) when W is
// [out, in]; with in_major, W [in, out]: those rows are inputs, multiplied by x's columns of the same index.
void multiply_rows(const Linear& layer, const float* x, int rows, const float* w, int first, int count,
                   float* y) {
  if (!layer.in_major)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, count, layer.in, 1.0f, x, layer.in, w,
                layer.in, 1.0f, y + first, layer.out);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, layer.out, count, 1.0f, x + first, layer.in,
                w, layer.out, 1.0f, y, layer.out);
}

}  // namespace

void linear(const Linear& layer, const float* x, int rows, float* y, bool accumulate) {
  if (rows == 0) return;
  const size_t out = size_t(layer.out);
  if (!accumulate) {
    for (size_t r = 0; r < size_t(rows); ++r) {
      float* yr = y + r * out;
      if (layer.bias.empty())
        std::fill(yr, yr + out, 0.0f);
      else
        std::copy(layer.bias.begin(), layer.bias.end(), yr);
    }
  } else if (!layer.bias.empty()) {
    for (size_t r = 0; r < size_t(rows); ++r) add(y + r * out, layer.bias.data(), out);
  }
  thread_local std::vector<float> block;  // one half block converted to float32
  int first = 0;                          // the part's first row within W's stored rows
  for (const StoredRows& part : layer.weight) {
    if (const float* w = part.f32()) {
      multiply_rows(layer, x, rows, w, first, part.rows, y);
    } else {
      const int block_rows = int(std::max<size_t>(1, kHalfBlockValues / size_t(part.cols)));
      for (int r = 0; r < part.rows; r += block_rows) {
        const int count = std::min(block_rows, part.rows - r);
        block.resize(size_t(count) * size_t(part.cols));
        part.to_f32(r, count, block.data());
        multiply_rows(layer, x, rows, block.data(), first + r, count, y);
      }
    }
    first += part.rows;
  }
}

void layernorm(const float* x, int rows, int dim, const float* gamma, const float* beta, float eps,
               float* y) {
  for (size_t r = 0; r < size_t(rows); ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    double sum = 0.0;
    for (int i = 0; i < dim; ++i) sum += xr[i];
    const float mean = float(sum / dim);
    double squares = 0.0;
    for (int i = 0; i < dim; ++i) squares += double(xr[i] - mean) * double(xr[i] - mean);
    const float inv = float(1.0 / std::sqrt(squares / dim + double(eps)));
    for (int i = 0; i < dim; ++i) yr[i] = (xr[i] - mean) * inv * gamma[i] + beta[i];
  }
}

void rmsnorm(const float* x, int rows, int dim, const float* gamma, float eps, float* y) {
  for (size_t r = 0; r < size_t(rows); ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    double squares = 0.0;
    for (int i = 0; i < dim; ++i) squares += double(xr[i]) * double(xr[i]);
    const float inv = float(1.0 / std::sqrt(squares / dim + double(eps)));
    for (int i = 0; i < dim; ++i) yr[i] = gamma[i] * (xr[i] * inv);
  }
}

Activation parse_activation(const std::string& name) {
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "silu" || name == "swish") return Activation::Silu;
  if (name == "relu") return Activation::Relu;
  throw Error("unsupported activation function '" + name + "' (supported: gelu, gelu_new, silu, relu)");
}

void activate(Activation activation, float* x, size_t n) {
  switch (activation) {
    case Activation::Gelu:
      return gelu(x, n);
    case Activation::GeluTanh:
      return gelu_tanh(x, n);
    case Activation::Silu:
      return silu(x, n);
    case Activation::Relu:
      for (size_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
      return;
  }
}

ATTNVIZ_VECTOR_CLONES void gelu(float* x, size_t n) {
  // erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), so that the loop vectorises.
  for (size_t i = 0; i < n; ++i) {
    const float z = x[i] * 0.70710678118654752f;
    const float a = z < 0.0f ? -z : z;
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    const float poly =
        ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
    const float erf_a = 1.0f - poly * fast_exp(-a * a);
    x[i] = 0.5f * x[i] * (1.0f + (z < 0.0f ? -erf_a : erf_a));
  }
}

ATTNVIZ_VECTOR_CLONES void gelu_tanh(float* x, size_t n) {
  // 0.5·x·(1 + tanh(z)) = x·σ(2z), z = √(2/π)·(x + 0.044715·x³)
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float z2 = 2.0f * 0.79788456080286536f * (v + 0.044715f * v * v * v);
    x[i] = v / (1.0f + fast_exp(-z2));
  }
}

ATTNVIZ_VECTOR_CLONES void silu(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + fast_exp(-x[i]));
}

ATTNVIZ_VECTOR_CLONES void multiply(float* x, const float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] *= y[i];
}

ATTNVIZ_VECTOR_CLONES void add(float* x, const float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] += y[i];
}

ATTNVIZ_VECTOR_CLONES void softmax(float* row, int n, int row_size) {
  float max = row[0];
  for (int i = 1; i < n; ++i) max = row[i] > max ? row[i] : max;
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    row[i] = fast_exp(row[i] - max);
    sum += row[i];
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < n; ++i) row[i] *= inv;
  std::fill(row + n, row + row_size, 0.0f);
}

std::vector<float> rope_inv_freq(int head_dim, float theta, const RopeScaling& scaling) {
  // Step 1, the default rotary embedding: inv_freq = 1 / θ^(2i/d), in float32 as transformers computes it.
  const int half = head_dim / 2;
  std::vector<float> inv_freq(half);
  for (int i = 0; i < half; ++i) inv_freq[i] = 1.0f / std::pow(theta, float(2 * i) / float(head_dim));
  // Step 2, the scaling, each operation rounded to float32 in transformers' order.
  const float factor = scaling.factor;
  if (scaling.type == RopeScaling::Type::Linear)
    for (float& f : inv_freq) f /= factor;
  if (scaling.type != RopeScaling::Type::Llama3) return inv_freq;
  const float low = scaling.low_freq_factor, high = scaling.high_freq_factor;
  const float context = float(scaling.original_positions);
  const float long_wavelength = float(double(scaling.original_positions) / double(low));
  const float short_wavelength = float(double(scaling.original_positions) / double(high));
  const float two_pi = float(2.0 * std::numbers::pi);
  for (float& f : inv_freq) {
    const float wavelength = (1.0f / f) * two_pi;  // torch's scalar / tensor: a reciprocal, then a product
    if (wavelength > long_wavelength) {
      f /= factor;  // low frequencies: stretched by the whole factor
    } else if (!(wavelength < short_wavelength)) {
      // Medium frequencies: a blend, from divided by factor at the long end to unchanged at the short end.
      const float smooth = ((1.0f / wavelength) * context - low) / (high - low);
      f = (1.0f - smooth) * f / factor + smooth * f;
    }  // high frequencies: unchanged
  }
  return inv_freq;
}

RopeTable rope_table(int positions, int head_dim, float theta, const RopeScaling& scaling) {
  // angle = p·inv_freq in float32, as transformers' rotary embedding computes it.
  const int half = head_dim / 2;
  RopeTable t;
  t.head_dim = head_dim;
  t.cos.resize(size_t(positions) * half);
  t.sin.resize(size_t(positions) * half);
  const std::vector<float> inv_freq = rope_inv_freq(head_dim, theta, scaling);
  for (int p = 0; p < positions; ++p) {
    for (int i = 0; i < half; ++i) {
      const float angle = float(p) * inv_freq[i];
      t.cos[size_t(p) * half + i] = std::cos(angle);
      t.sin[size_t(p) * half + i] = std::sin(angle);
    }
  }
  return t;
}

void apply_rope(const RopeTable& table, float* x, int tokens, int stride, int heads, int first_position) {
  const int half = table.head_dim / 2;
  for (int t = 0; t < tokens; ++t) {
    const float* c = table.cos.data() + size_t(first_position + t) * half;
    const float* s = table.sin.data() + size_t(first_position + t) * half;
    for (int h = 0; h < heads; ++h) {
      float* v = x + size_t(t) * stride + size_t(h) * table.head_dim;
      for (int i = 0; i < half; ++i) {
        const float re = v[i], im = v[i + half];
        v[i] = re * c[i] - im * s[i];
        v[i + half] = im * c[i] + re * s[i];
      }
    }
  }
}

}  // namespace attnviz::ops
