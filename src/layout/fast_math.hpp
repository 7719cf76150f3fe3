#pragma once
// x^y for the layout optimisers' inner loops, where libm's powf (or expf(y logf(x))) is most of the cost.
// log2 by exponent extraction and a degree-5 polynomial on [sqrt(1/2), sqrt(2)) (absolute error < 4e-6),
// 2^f by a degree-5 polynomial on [-1/2, 1/2] (relative error < 1.1e-7): x^y within ~1e-5 relative, far
// below the noise of stochastic gradient descent. Coefficients: least-squares fits on Chebyshev nodes.
// Branch-free (selects only between computed values), so loops over arrays of them vectorise.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>

namespace attnviz {

// x >= FLT_MIN (smaller x is read as FLT_MIN).
inline float fast_log2(float x) {
  x = std::clamp(x, std::numeric_limits<float>::min(), std::numeric_limits<float>::max());
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const float m = std::bit_cast<float>((bits & 0x007FFFFFu) | 0x3F800000u);  // mantissa in [1, 2)
  const bool upper = m > 1.41421356f;  // fold [sqrt 2, 2) onto [sqrt 1/2, 1)
  const float t = m * (upper ? 0.5f : 1.0f) - 1.0f;
  const float exponent = static_cast<float>(static_cast<int>(bits >> 23) - 127 + (upper ? 1 : 0));
  const float p =
      1.44270180f +
      t * (-0.72120842f + t * (0.47979339f + t * (-0.36641418f + t * (0.31841403f + t * -0.20686279f))));
  return exponent + t * p;
}

// x clamped to [-126, 126].
inline float fast_exp2(float x) {
  x = std::clamp(x, -126.0f, 126.0f);
  constexpr float kRound = 12582912.0f;  // 1.5 x 2^23: adding and subtracting it rounds to an integer
  const float whole = (x + kRound) - kRound, f = x - whole;
  const float p =
      1.00000008f +
      f * (0.69314721f + f * (0.24022107f + f * (0.05550327f + f * (0.00967605f + f * 0.00134004f))));
  return p * std::bit_cast<float>(static_cast<uint32_t>(static_cast<int>(whole) + 127) << 23);
}

inline float fast_pow(float x, float y) { return fast_exp2(y * fast_log2(x)); }

}  // namespace attnviz
