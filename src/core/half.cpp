#include "core/half.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include <cstring>

namespace attnviz {

namespace {

template <float (*convert)(uint16_t)>
void halves_to_f32(const std::byte* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, src + i * sizeof(h), sizeof(h));
    dst[i] = convert(h);
  }
}

// F16C rounds to nearest even like f32_to_f16 and is on every x86-64 since 2012: the conversion is a
// noticeable share of extraction time otherwise.
#if defined(__x86_64__)
__attribute__((target("avx,f16c"))) void f32_to_f16_f16c(const float* src, uint16_t* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

// Half to float32 with F16C, bfloat16 to float32 with AVX2 (a shift into the high half of each value):
// models kept in half precision convert every weight on every forward pass.
__attribute__((target("avx,f16c"))) void f16_to_f32_f16c(const std::byte* src, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * 2))));
  halves_to_f32<f16_to_f32>(src + i * 2, dst + i, n - i);
}

__attribute__((target("avx2"))) void bf16_to_f32_avx2(const std::byte* src, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i wide =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * 2)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_slli_epi32(wide, 16));
  }
  halves_to_f32<bf16_to_f32>(src + i * 2, dst + i, n - i);
}

// AVX usable (the CPU and the OS, which saves its registers) and F16C present; clang has no "f16c" for
// __builtin_cpu_supports, so that bit comes from cpuid.
bool has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __builtin_cpu_supports("avx") && __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}
#endif

}  // namespace

void f16_to_f32_row(const std::byte* src, float* dst, size_t n) {
#if defined(__x86_64__)
  static const bool f16c = has_f16c();
  if (f16c) return f16_to_f32_f16c(src, dst, n);
#endif
  halves_to_f32<f16_to_f32>(src, dst, n);
}

void bf16_to_f32_row(const std::byte* src, float* dst, size_t n) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return bf16_to_f32_avx2(src, dst, n);
#endif
  halves_to_f32<bf16_to_f32>(src, dst, n);
}

void f32_to_f16_row(const float* src, uint16_t* dst, size_t n) {
#if defined(__x86_64__)
  static const bool f16c = has_f16c();
  if (f16c) return f32_to_f16_f16c(src, dst, n);
#endif
  for (size_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

}  // namespace attnviz
