#include "layout/head_similarity.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "layout/fast_math.hpp"

namespace attnviz {

namespace {

// sum_i x_i ln x_i (0 ln 0 = 0), with fast_log2: absolute error below 3e-6 per term; branch-free, so it
// vectorises. The divergences average thousands of these, far beyond the precision a map of heads needs.
double sum_x_ln_x(const float* x, int64_t n) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i] * fast_log2(x[i]);
  return double(sum) * std::log(2.0);
}

// sum_i m_i ln m_i for m = (p + q) / 2.
double sum_mixture_ln(const float* p, const float* q, int64_t n) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float m = 0.5f * (p[i] + q[i]);
    sum += m * fast_log2(m);
  }
  return double(sum) * std::log(2.0);
}

// JS(p, q) = (sum p ln p + sum q ln q) / 2 - sum m ln m, given the first two sums; equal p and q give 0
// exactly (m = p in float, summed in the same order).
double js_from_parts(double p_ln_p, double q_ln_q, const float* p, const float* q, int64_t n) {
  return std::clamp(0.5 * (p_ln_p + q_ln_q) - sum_mixture_ln(p, q, n), 0.0, std::log(2.0));
}

}  // namespace

double js_divergence(const float* p, const float* q, int64_t n) {
  return js_from_parts(sum_x_ln_x(p, n), sum_x_ln_x(q, n), p, q, n);
}

std::vector<double> divergence_matrix(const AttentionRows& rows, int threads) {
  const int h = static_cast<int>(rows.heads.size());
  int64_t total = 0;
  for (int64_t length : rows.row_lengths) total += length;
  for (const auto& head : rows.heads)
    if (static_cast<int64_t>(head.size()) != total) throw Error("divergence_matrix: rows of unequal size");
  // Step 1: each head's sum x ln x per row, once.
  const size_t queries = rows.row_lengths.size();
  std::vector<double> x_ln_x(static_cast<size_t>(h) * queries);
  parallel_for(h, threads, [&](int64_t a) {
    int64_t at = 0;
    for (size_t r = 0; r < queries; ++r) {
      x_ln_x[a * queries + r] = sum_x_ln_x(&rows.heads[a][at], rows.row_lengths[r]);
      at += rows.row_lengths[r];
    }
  });
  // Step 2: every pair, its divergence averaged over the rows.
  std::vector<double> d(static_cast<size_t>(h) * h, 0.0);
  parallel_for(h, threads, [&](int64_t a) {
    for (int b = static_cast<int>(a) + 1; b < h; ++b) {
      double sum = 0;
      int64_t at = 0;
      for (size_t r = 0; r < queries; ++r) {
        sum += js_from_parts(x_ln_x[a * queries + r], x_ln_x[b * queries + r], &rows.heads[a][at],
                             &rows.heads[b][at], rows.row_lengths[r]);
        at += rows.row_lengths[r];
      }
      d[a * h + b] = d[b * h + a] = sum / std::max<double>(1.0, double(queries));
    }
  });
  return d;
}

std::vector<int> similarity_order(std::span<const double> distances, int n) {
  // Step 1: every item its own cluster, with the average distance between clusters.
  std::vector<std::vector<int>> members(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) members[i] = {i};
  std::vector<double> between(distances.begin(), distances.end());
  std::vector<bool> alive(static_cast<size_t>(n), true);
  // Step 2: merge the closest two clusters until one is left; the merged cluster lists the one with the
  // lower first member first, and takes the size-weighted average of their distances (average linkage).
  for (int merges = 1; merges < n; ++merges) {
    int a = -1, b = -1;
    double best = std::numeric_limits<double>::infinity();
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j)
        if (alive[i] && alive[j] && between[i * n + j] < best) best = between[i * n + j], a = i, b = j;
    const double na = double(members[a].size()), nb = double(members[b].size());
    for (int k = 0; k < n; ++k)
      if (alive[k] && k != a && k != b)
        between[a * n + k] = between[k * n + a] =
            (na * between[a * n + k] + nb * between[b * n + k]) / (na + nb);
    members[a].insert(members[a].end(), members[b].begin(), members[b].end());
    members[b].clear();
    alive[b] = false;
  }
  return n > 0 ? members[0] : std::vector<int>{};
}

std::vector<double> classical_mds(std::span<const double> distances, int n, int dim) {
  // Step 1: double centring of the squared distances, B = -1/2 J D^2 J.
  Eigen::MatrixXd b(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) b(i, j) = distances[i * n + j] * distances[i * n + j];
  const Eigen::VectorXd row_mean = b.rowwise().mean();
  const double mean = b.mean();
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) b(i, j) = -0.5 * (b(i, j) - row_mean(i) - row_mean(j) + mean);
  // Step 2: the top eigenvectors scaled by the square roots of their (non-negative) eigenvalues.
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(b);
  std::vector<double> points(static_cast<size_t>(n) * dim, 0.0);
  for (int c = 0; c < dim && c < n; ++c) {
    const int e = n - 1 - c;  // eigenvalues ascend
    const double scale = std::sqrt(std::max(0.0, eigen.eigenvalues()(e)));
    Eigen::VectorXd v = eigen.eigenvectors().col(e);
    Eigen::Index largest = 0;
    v.cwiseAbs().maxCoeff(&largest);
    if (v(largest) < 0) v = -v;
    for (int i = 0; i < n; ++i) points[i * dim + c] = scale * v(i);
  }
  return points;
}

}  // namespace attnviz
