#include "layout/normalise.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace attnviz {

namespace {

std::vector<double> centroid(std::span<const float> x, int dim) {
  std::vector<double> mean(static_cast<size_t>(dim), 0.0);
  const size_t n = x.size() / dim;
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < dim; ++c) mean[c] += x[i * dim + c];
  for (double& m : mean) m /= static_cast<double>(std::max<size_t>(n, 1));
  return mean;
}

// Mean over rows of |a * x_i + b|.
double mean_norm(std::span<const float> x, int dim, double a, const std::vector<double>& b) {
  const size_t n = x.size() / dim;
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (int c = 0; c < dim; ++c) {
      const double v = a * x[i * dim + c] + b[c];
      s += v * v;
    }
    total += std::sqrt(s);
  }
  return total / static_cast<double>(std::max<size_t>(n, 1));
}

// With keys s.k + c, c = mq/s - s.mk (centroids meet), solve mean|q|/s = mean|s(k - mk) + mq/s| for s.
// Multiplying by s: g(s) = mean|q| - mean|s^2 (k - mk) + mq|. g(0) = mean|q| - |mq| >= 0 (Jensen) and
// g decreases to -inf, so bisection on log s finds the root.
double joint_scale(std::span<const float> queries, std::span<const float> keys, int dim) {
  const std::vector<double> mq = centroid(queries, dim), mk = centroid(keys, dim);
  const double q_norm = mean_norm(queries, dim, 1.0, std::vector<double>(dim, 0.0));
  auto g = [&](double s) {
    std::vector<double> b(static_cast<size_t>(dim));
    for (int c = 0; c < dim; ++c) b[c] = mq[c] - s * s * mk[c];
    return q_norm - mean_norm(keys, dim, s * s, b);
  };
  double lo = 1e-6, hi = 1e6;
  if (g(hi) >= 0) return hi;  // keys all equal: any s works, keep the largest tried
  if (g(lo) <= 0) return lo;  // queries all equal
  for (int it = 0; it < 100 && hi / lo > 1.0 + 1e-7; ++it) {
    const double mid = std::sqrt(lo * hi);
    (g(mid) > 0 ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

}  // namespace

NormaliseResult normalise_qk(std::span<float> queries, std::span<float> keys, int dim,
                             const NormaliseOptions& options) {
  if (dim <= 0 || queries.size() % dim != 0 || keys.size() % dim != 0 || queries.empty() || keys.empty())
    throw Error("normalise_qk: queries and keys must be non-empty [n, dim] arrays");
  NormaliseResult result;
  double s = 1.0;
  if (options.scale && options.translate) {
    s = joint_scale(queries, keys, dim);
  } else if (options.scale) {
    const std::vector<double> zero(static_cast<size_t>(dim), 0.0);
    const double kn = mean_norm(keys, dim, 1.0, zero), qn = mean_norm(queries, dim, 1.0, zero);
    if (kn > 0 && qn > 0) s = std::sqrt(qn / kn);
  }
  const std::vector<double> mq = centroid(queries, dim), mk = centroid(keys, dim);
  result.scale = static_cast<float>(s);
  result.shift.assign(static_cast<size_t>(dim), 0.0f);
  if (options.translate)
    for (int c = 0; c < dim; ++c) result.shift[c] = static_cast<float>(mq[c] / s - s * mk[c]);
  apply_normalisation(queries, keys, dim, result.scale, result.shift);
  return result;
}

void apply_normalisation(std::span<float> queries, std::span<float> keys, int dim, float scale,
                         std::span<const float> shift) {
  if (static_cast<int>(shift.size()) != dim || !(scale > 0))
    throw Error("apply_normalisation: the shift must have dim values and the scale be positive");
  const float qs = static_cast<float>(1.0 / double(scale)), ks = scale;
  for (float& v : queries) v *= qs;
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = keys[i] * ks + shift[i % dim];
}

}  // namespace attnviz
