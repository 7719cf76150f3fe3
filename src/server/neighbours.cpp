#include "server/neighbours.hpp"

#include <algorithm>
#include <cmath>

namespace attnviz::server {

std::vector<Scored> top_scores(std::span<const float> self, std::span<const float> others, int64_t d,
                               float scale, int k) {
  const int64_t n = static_cast<int64_t>(others.size()) / d;
  std::vector<Scored> scored(static_cast<size_t>(n));
  for (int64_t row = 0; row < n; ++row) {
    const float* other = others.data() + row * d;
    float dot = 0.0f;
    for (int64_t i = 0; i < d; ++i) dot += self[i] * other[i];
    const float score = scale * dot;
    scored[row] = {row, std::isnan(score) ? -INFINITY : score};  // NaN (a broken run) ranks last, not UB
  }
  const auto higher = [](const Scored& a, const Scored& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  };
  const auto kept = scored.begin() + std::min<int64_t>(k, n);
  std::partial_sort(scored.begin(), kept, scored.end(), higher);
  scored.erase(kept, scored.end());
  return scored;
}

std::vector<int64_t> layout_ranks(std::span<const float> layout, int dim, int64_t point, int64_t first,
                                  int64_t n, std::span<const int64_t> targets) {
  // 1. Squared distances from the point to every point of the kind, in the layout's own float arithmetic.
  const float* origin = layout.data() + point * dim;
  const auto distance = [&](int64_t j) {
    const float* other = layout.data() + j * dim;
    float sum = 0.0f;
    for (int c = 0; c < dim; ++c) sum += (other[c] - origin[c]) * (other[c] - origin[c]);
    return std::isnan(sum) ? INFINITY : sum;  // a NaN point (a broken layout) is farthest, not UB in the sort
  };
  std::vector<float> sorted(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) sorted[j] = distance(first + j);
  // 2. Sorted once, a target's rank is where its distance would be inserted.
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> ranks;
  ranks.reserve(targets.size());
  for (int64_t target : targets)
    ranks.push_back(1 + (std::lower_bound(sorted.begin(), sorted.end(), distance(target)) - sorted.begin()));
  return ranks;
}

}  // namespace attnviz::server
