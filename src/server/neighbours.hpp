#pragma once
// A point's true neighbours (GET /api/neighbours, docs/api.md): the points of the other kind that it scores
// highest by scaled q·k over the whole dataset, and where each of them lies among the point's nearest points
// of that kind in a layout, so that a projection can be checked point by point.
#include <cstdint>
#include <span>
#include <vector>

namespace attnviz::server {

struct Scored {
  int64_t index = 0;  // a row of `others`
  float score = 0.0f;
};

// The k rows of `others` [n, d] with the highest scale·(self·row), self [d]; highest first, ties by the lower
// index; min(k, n) of them.
std::vector<Scored> top_scores(std::span<const float> self, std::span<const float> others, int64_t d,
                               float scale, int k);

// For each of `targets` (joint indices of the layout's points, all of one kind), 1 + how many points of that
// kind lie strictly closer (Euclidean) to `point` in `layout` [2n, dim]. The kind's points are
// [first, first + n): the keys (first = n) when `point` is a query, the queries (first = 0) when a key.
std::vector<int64_t> layout_ranks(std::span<const float> layout, int dim, int64_t point, int64_t first,
                                  int64_t n, std::span<const int64_t> targets);

}  // namespace attnviz::server
