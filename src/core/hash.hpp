#pragma once
// splitmix64 (Steele, Lea & Flood 2014; Vigna's constants): a 64-bit bijection whose outputs look random even
// for consecutive inputs, so seeded draws can be computed from (seed, index, ...) instead of a sequential
// generator, independent of the thread count.
#include <cstdint>

namespace attnviz {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace attnviz
