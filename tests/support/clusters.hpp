#pragma once
// Synthetic data whose structure is known: well-separated Gaussian clusters, for the layout tests.
#include <cstdint>
#include <random>
#include <vector>

namespace attnviz::test {

// [clusters * per_cluster, dim]: point i belongs to cluster i % clusters; centres drawn with standard
// deviation `spread`, points around them with standard deviation 1. Seeded, so every run is the same.
inline std::vector<float> gaussian_clusters(int clusters, int per_cluster, int dim, float spread,
                                            unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> centres(static_cast<size_t>(clusters) * dim);
  for (float& v : centres) v = spread * g(rng);
  std::vector<float> x;
  x.reserve(static_cast<size_t>(clusters) * per_cluster * dim);
  for (int64_t i = 0; i < int64_t{clusters} * per_cluster; ++i)
    for (int c = 0; c < dim; ++c) x.push_back(centres[(i % clusters) * dim + c] + g(rng));
  return x;
}

}  // namespace attnviz::test
