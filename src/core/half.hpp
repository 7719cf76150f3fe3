#pragma once
// IEEE half (F16) and bfloat16 (BF16) conversions to and from float32: one value at a time, and rows of
// values for readers and writers of tensors. Float-to-half rounds to nearest, ties to even; NaN stays NaN
// (half-to-float makes a signalling NaN quiet, as the hardware conversion does).
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace attnviz {

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f)  // inf, or NaN made quiet as F16C's conversion makes it
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa ? 0x400000u : 0u) | (mantissa << 13));
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
  const float subnormal = std::ldexp(static_cast<float>(mantissa), -24);  // exact: at most 10 bits
  return sign ? -subnormal : subnormal;
}

inline uint16_t f32_to_f16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t exponent = (bits >> 23) & 0xff;
  const uint32_t mantissa = bits & 0x7fffff;
  if (exponent == 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >> 13) : 0);  // NaN stays NaN
  const int half_exponent = int(exponent) - 127 + 15;
  if (half_exponent >= 0x1f) return sign | 0x7c00;  // too large: infinity
  // Round to nearest even: `kept` is the result's significand, `dropped` the `shift` bits cut off.
  auto round = [](uint32_t value, int shift) {
    const uint32_t kept = value >> shift, dropped = value & ((1u << shift) - 1), half = 1u << (shift - 1);
    return kept + (dropped > half || (dropped == half && (kept & 1)));
  };
  if (half_exponent <= 0) {
    if (half_exponent < -10) return sign;  // below half the smallest subnormal: zero
    // A subnormal half counts units of 2^-24; a carry into 0x400 correctly gives the smallest normal.
    return sign | static_cast<uint16_t>(round(mantissa | 0x800000, 14 - half_exponent));
  }
  // A carry out of the significand correctly increments the exponent (up to infinity).
  return sign | static_cast<uint16_t>(round((uint32_t(half_exponent) << 23) | mantissa, 13));
}

inline float bf16_to_f32(uint16_t h) { return std::bit_cast<float>(uint32_t(h) << 16); }

inline uint16_t f32_to_bf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if (std::isnan(f)) return static_cast<uint16_t>((bits >> 16) | 0x40);
  return static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

// Rows: n values from src to dst. Sources of halves may have any alignment (tensors inside a mapped file).
void f16_to_f32_row(const std::byte* src, float* dst, size_t n);
void bf16_to_f32_row(const std::byte* src, float* dst, size_t n);
// The same result as f32_to_f16 on each value, eight at a time with F16C where the CPU has it.
void f32_to_f16_row(const float* src, uint16_t* dst, size_t n);

}  // namespace attnviz
