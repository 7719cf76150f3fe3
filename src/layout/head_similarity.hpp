#pragma once
// Which heads attend alike (Clark et al. 2019): the Jensen-Shannon divergence between two heads' attention
// distributions averaged over a sample of queries, an order of the heads that puts similar ones side by side
// (average-linkage clustering), and a 2D map of them (classical MDS).
#include <cstdint>
#include <span>
#include <vector>

namespace attnviz {

// Jensen-Shannon divergence in nats, in [0, ln 2], of two distributions over the same n keys (to ~1e-5:
// logarithms by fast_log2).
double js_divergence(const float* p, const float* q, int64_t n);

// The attention rows of several heads for the same queries: heads[h] holds, for every query in turn, its
// weights over that query's keys (row_lengths[query] of them; the same for every head).
struct AttentionRows {
  std::vector<int64_t> row_lengths;
  std::vector<std::vector<float>> heads;
};

// [H, H] row-major: the mean over queries of the divergence between heads a and b; 0 on the diagonal.
std::vector<double> divergence_matrix(const AttentionRows& rows, int threads);

// An order of n items from their [n, n] distances: agglomerative clustering with average linkage, the
// leaves of its tree from left to right (the cluster holding the lower index first).
std::vector<int> similarity_order(std::span<const double> distances, int n);

// Classical MDS: n points in `dim` dimensions, [n, dim], whose euclidean distances approximate the given
// [n, n] distances. Axes by decreasing eigenvalue, each signed so its largest coordinate is positive.
std::vector<double> classical_mds(std::span<const double> distances, int n, int dim);

}  // namespace attnviz
