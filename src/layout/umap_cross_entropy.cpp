// UMAP's fuzzy-set cross-entropy of a finished layout (UmapResult::cross_entropy): the graph's edges exactly,
// the pairs outside it from a seeded sample per point.
#include <algorithm>
#include <cmath>

#include "core/parallel.hpp"
#include "layout/fast_math.hpp"
#include "layout/umap_detail.hpp"

namespace attnviz::umap_detail {
namespace {

// -log(1 - v) for kCrossEntropySamples other points j than i, v = 1 / (1 + a d_ij^2b), the j drawn as
// hash32(key ^ s): the part of the cross-entropy from pairs outside the graph, summed in one vectorised loop
// in float with fast_pow and fast_log2. -log(1 - v) = log(1 + x), x = 1 / (a d^2b): a cubic below x = 0.01
// (relative error < x^3 / 4), fast_log2 above (relative error < 3e-4); capped at -log(1e-12) as
// cross_entropy keeps v below 1 - 1e-12.
template <int Dim>
[[gnu::always_inline]] inline double sampled_terms(const float* y, int64_t n, int64_t i, uint32_t key,
                                                   float a, float b) {
  const auto others = static_cast<uint32_t>(n - 1);  // vertex indices are int32
  int32_t j[kCrossEntropySamples];
  float d2[kCrossEntropySamples];
#pragma omp simd
  for (int s = 0; s < kCrossEntropySamples; ++s) {
    const auto drawn = static_cast<int32_t>(uniform_below(hash32(key ^ uint32_t(s)), others));
    j[s] = drawn + (drawn >= i ? 1 : 0);  // any other point
  }
  const float* yi = y + i * Dim;
  for (int s = 0; s < kCrossEntropySamples; ++s) {  // a plain loop: no gathers (see sample_moves)
    const float* yj = y + int64_t(j[s]) * Dim;
    d2[s] = 0;
    for (int c = 0; c < Dim; ++c) d2[s] += (yi[c] - yj[c]) * (yi[c] - yj[c]);
  }
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int s = 0; s < kCrossEntropySamples; ++s) {
    const float x = 1 / (a * fast_pow(d2[s], b));
    const float term = x < 0.01f ? x * (1 - x * (0.5f - x / 3)) : fast_log2(1 + x) * 0.69314718f;
    sum += std::min(term, 27.6310211f);
  }
  return sum;
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] double sampled_terms(const float* y, int dim, int64_t n,
                                                                         int64_t i, uint32_t key, float a,
                                                                         float b) {
  return dim == 2 ? sampled_terms<2>(y, n, i, key, a, b) : sampled_terms<3>(y, n, i, key, a, b);
}

}  // namespace

// UmapResult::cross_entropy. The graph's terms in double with libm; the low-dimensional similarity v and
// 1 - v are kept above 1e-12 so that coincident points and far-apart edges give large finite terms. Each
// point's terms are summed on their own (in parallel) and the points' sums in order: the same figure for any
// thread count.
double cross_entropy(const Affinities& graph, const std::vector<float>& y, int dim, UmapCurve curve,
                     unsigned seed, int threads) {
  const int64_t n = graph.n;
  auto similarity = [&](int64_t i, int64_t j) {
    double d2 = 0;
    for (int c = 0; c < dim; ++c)
      d2 += double(y[i * dim + c] - y[j * dim + c]) * (y[i * dim + c] - y[j * dim + c]);
    return std::clamp(1 / (1 + curve.a * std::pow(d2, curve.b)), 1e-12, 1 - 1e-12);
  };
  // Per point: the graph's terms, less the -log(1 - v) the sample counts for every pair; the sampled
  // -log(1 - v) to any other point.
  std::vector<double> edges(static_cast<size_t>(n), 0.0), sampled(static_cast<size_t>(n), 0.0);
  parallel_for(n, threads, [&](int64_t i) {
    for (int64_t e = graph.row_start[i]; e < graph.row_start[i + 1]; ++e) {
      const double w = graph.value[e], v = similarity(i, graph.column[e]);
      edges[i] += (w > 0 ? w * std::log(w / v) : 0.0) +
                  (w < 1 ? (1 - w) * std::log((1 - w) / (1 - v)) : 0.0) + std::log(1 - v);
    }
    if (n < 2) return;
    sampled[i] = sampled_terms(y.data(), dim, n, i, vertex_key(seed, i, 2), float(curve.a), float(curve.b));
  });
  double edge_sum = 0, sampled_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    edge_sum += edges[i];
    sampled_sum += sampled[i];
  }
  return edge_sum + sampled_sum * double(std::max<int64_t>(n - 1, 0)) / kCrossEntropySamples;
}

}  // namespace attnviz::umap_detail
