// f16/bf16 conversions against a reference computed in double arithmetic: every half value exactly, and
// float-to-half rounding (to nearest, ties to even) over a wide sample of float bit patterns.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/half.hpp"

namespace attnviz {
namespace {

// The value of a half from its definition: (-1)^s × 2^(e-15) × 1.m, or 2^-14 × 0.m for subnormals.
double half_value(uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double magnitude = exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
  if (exponent == 0x1f) magnitude = mantissa ? NAN : INFINITY;
  return sign ? -magnitude : magnitude;
}

// Rounds f to the grid of a format whose normal numbers have `mantissa_bits`, smallest normal exponent
// `min_exponent` and overflow threshold `overflow` (at and beyond which the result is infinite).
double round_to_format(float f, int mantissa_bits, int min_exponent, double overflow) {
  if (f == 0 || std::isinf(f)) return f;
  const int exponent = std::max(std::ilogb(f), min_exponent);
  const double spacing = std::ldexp(1.0, exponent - mantissa_bits);
  const double rounded = std::nearbyint(f / spacing) * spacing;  // default rounding: ties to even
  return std::fabs(rounded) >= overflow ? std::copysign(INFINITY, f) : rounded;
}

TEST(Half, EveryF16ValueConvertsExactlyAndBack) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    const float f = f16_to_f32(h);
    const double expected = half_value(h);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(f)) << bits;
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f)))) << bits;
      continue;
    }
    ASSERT_EQ(double(f), expected) << bits;
    ASSERT_EQ(std::signbit(f), bool(h >> 15)) << bits;
    ASSERT_EQ(f32_to_f16(f), h) << bits;
  }
}

TEST(Half, F32ToF16RoundsToNearestEven) {
  const double overflow = 65520;  // halfway between the largest half (65504) and 65536
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 4093) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(bits));
    if (std::isnan(f)) continue;
    const double expected = round_to_format(f, 10, -14, overflow);
    const uint16_t h = f32_to_f16(f);
    ASSERT_EQ(double(f16_to_f32(h)), expected) << "f = " << f << " bits " << bits;
    ASSERT_EQ(std::signbit(f16_to_f32(h)), std::signbit(f)) << bits;
  }
}

TEST(Half, F16EdgeCases) {
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.99f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // the tie rounds to even: infinity
  EXPECT_EQ(f32_to_f16(-INFINITY), 0xfc00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);                   // smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);                   // half of it: tie to even, zero
  EXPECT_EQ(f32_to_f16(std::ldexp(1.5f, -25)), 0x0001);                   // above the tie
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);                   // 1.5 units: tie to even, 2
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -14) * (1 - 0x1p-12f)), 0x0400);  // rounds up into the normals
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f), 0x3c00);  // tie between 1 and 1+2^-10: even is 1
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x7c00), INFINITY);
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(NAN))));
  // A NaN whose payload lives only in the low float bits must not turn into infinity.
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::bit_cast<float>(0x7f800001u)))));
}

TEST(BFloat16, ConvertsExactlyAndRoundsToNearestEven) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float f = bf16_to_f32(static_cast<uint16_t>(bits));
    EXPECT_EQ(std::bit_cast<uint32_t>(f), bits << 16);
    if (!std::isnan(f)) {
      ASSERT_EQ(f32_to_bf16(f), bits);
    }
  }
  const double overflow = std::ldexp(2.0 - std::ldexp(1.0, -8), 127);  // halfway past the largest bf16
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 4093) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(bits));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(f))));
      continue;
    }
    ASSERT_EQ(double(bf16_to_f32(f32_to_bf16(f))), round_to_format(f, 7, -126, overflow)) << bits;
  }
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);  // tie: even
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::bit_cast<float>(0x7f800001u)))));
}

// The row conversions (F16C where the CPU has it) give exactly what the scalar ones give, from sources at
// any alignment.
TEST(Half, RowsConvertLikeSingleValues) {
  std::vector<float> floats;
  for (uint64_t bits = 0; bits < (uint64_t{1} << 32); bits += 65521)
    floats.push_back(std::bit_cast<float>(static_cast<uint32_t>(bits)));
  std::vector<uint16_t> halves(floats.size());
  f32_to_f16_row(floats.data(), halves.data(), floats.size());
  for (size_t i = 0; i < floats.size(); ++i) ASSERT_EQ(halves[i], f32_to_f16(floats[i])) << i;

  std::vector<std::byte> unaligned(1 + 2 * halves.size());
  std::memcpy(unaligned.data() + 1, halves.data(), 2 * halves.size());
  std::vector<float> back(halves.size());
  using Row = void (*)(const std::byte*, float*, size_t);
  using Scalar = float (*)(uint16_t);
  for (const auto& [row, scalar] :
       {std::pair<Row, Scalar>{f16_to_f32_row, f16_to_f32}, {bf16_to_f32_row, bf16_to_f32}}) {
    row(unaligned.data() + 1, back.data(), back.size());
    for (size_t i = 0; i < back.size(); ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(back[i]), std::bit_cast<uint32_t>(scalar(halves[i]))) << i;
  }
}

// Every one of the 65536 half and bfloat16 bit patterns (signalling NaNs included) converts in a row as it
// does alone.
TEST(Half, RowsConvertEveryBitPattern) {
  std::vector<uint16_t> halves(65536);
  for (size_t i = 0; i < halves.size(); ++i) halves[i] = static_cast<uint16_t>(i);
  std::vector<float> back(halves.size());
  const auto* bytes = reinterpret_cast<const std::byte*>(halves.data());
  f16_to_f32_row(bytes, back.data(), back.size());
  for (size_t i = 0; i < back.size(); ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(back[i]), std::bit_cast<uint32_t>(f16_to_f32(halves[i]))) << i;
  bf16_to_f32_row(bytes, back.data(), back.size());
  for (size_t i = 0; i < back.size(); ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(back[i]), std::bit_cast<uint32_t>(bf16_to_f32(halves[i]))) << i;
}

}  // namespace
}  // namespace attnviz
