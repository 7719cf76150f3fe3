#pragma once
// What UMAP's parts share inside src/layout (not an interface): the seeded draws, every one a function of
// (seed, vertex, stream) so that no result depends on the thread count, and the cross-entropy the optimiser
// reports (umap_cross_entropy.cpp).
#include <cstdint>
#include <vector>

#include "core/hash.hpp"
#include "layout/umap.hpp"

namespace attnviz::umap_detail {

// A vertex's xorshift generator (the init's noise), seeded by splitmix64 of (seed, vertex, stream).
struct Rng {
  uint64_t state;
  uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
};

inline Rng vertex_rng(unsigned seed, int64_t vertex, uint64_t stream) {
  return Rng{splitmix64(splitmix64(seed) ^ splitmix64(uint64_t(vertex) * 4 + stream)) | 1};
}

// The key of a vertex's hashed draws (hash32 below) in one stream.
inline uint32_t vertex_key(unsigned seed, int64_t vertex, uint64_t stream) {
  return static_cast<uint32_t>(vertex_rng(seed, vertex, stream).next() >> 32);
}

// A 32-bit integer hash (Wellons' lowbias32): the negative samples are hashes of a counter, so that a
// vertex's draws in one epoch are independent of each other and computed in one vectorised loop.
inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  return x ^ (x >> 16);
}

// A hash in [0, n) by a multiply instead of a division (Lemire 2019); 32-bit operands, so it vectorises.
inline int64_t uniform_below(uint32_t hash, uint32_t n) {
  return static_cast<int64_t>((uint64_t(hash) * uint64_t(n)) >> 32);
}

// UmapResult::cross_entropy of layout y [n, dim] under the graph's memberships (umap.hpp says how it is
// estimated); seed keys its sampled pairs.
double cross_entropy(const Affinities& graph, const std::vector<float>& y, int dim, UmapCurve curve,
                     unsigned seed, int threads);

}  // namespace attnviz::umap_detail
