// UMAP's first steps: the curve 1 / (1 + a x^2b) fitted to min_dist and spread, and the fuzzy simplicial set
// (membership strengths of each point's neighbours, their fuzzy union) that the optimiser lays out.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/parallel.hpp"
#include "layout/umap.hpp"

namespace attnviz {
namespace {

// sigma such that sum_j exp(-max(0, d_j - rho) / sigma) = log2(neighbors), as umap-learn's smooth_knn_dist.
double smooth_sigma(const float* d, int k, double rho, double target) {
  double lo = 0, hi = INFINITY, mid = 1;
  for (int step = 0; step < 64; ++step) {
    double psum = 0;
    for (int j = 0; j < k; ++j) psum += d[j] - rho > 0 ? std::exp(-(d[j] - rho) / mid) : 1.0;
    if (std::abs(psum - target) < 1e-5) break;
    if (psum > target) {
      hi = mid;
      mid = (lo + hi) / 2;
    } else {
      lo = mid;
      mid = std::isinf(hi) ? mid * 2 : (lo + hi) / 2;
    }
  }
  return mid;
}

}  // namespace

UmapCurve fit_umap_curve(double min_dist, double spread) {
  constexpr int kPoints = 300;
  std::vector<double> x(kPoints), target(kPoints);
  for (int i = 0; i < kPoints; ++i) {
    x[i] = 3 * spread * i / (kPoints - 1);
    target[i] = x[i] < min_dist ? 1.0 : std::exp(-(x[i] - min_dist) / spread);
  }
  auto residuals = [&](double a, double b, double* jac_a, double* jac_b) {
    double cost = 0;
    for (int i = 0; i < kPoints; ++i) {
      const double xb = x[i] > 0 ? std::pow(x[i], 2 * b) : 0.0;
      const double g = 1 / (1 + a * xb), r = g - target[i];
      cost += r * r;
      if (jac_a) {
        jac_a[i] = -xb * g * g;
        jac_b[i] = x[i] > 0 ? -a * xb * 2 * std::log(x[i]) * g * g : 0.0;
      }
    }
    return cost;
  };
  double a = 1, b = 1, lambda = 1e-3;
  std::vector<double> ja(kPoints), jb(kPoints);
  double cost = residuals(a, b, ja.data(), jb.data());
  for (int it = 0; it < 500; ++it) {
    double aa = 0, ab = 0, bb = 0, ga = 0, gb = 0;
    for (int i = 0; i < kPoints; ++i) {
      const double xb = x[i] > 0 ? std::pow(x[i], 2 * b) : 0.0;
      const double r = 1 / (1 + a * xb) - target[i];
      aa += ja[i] * ja[i];
      ab += ja[i] * jb[i];
      bb += jb[i] * jb[i];
      ga += ja[i] * r;
      gb += jb[i] * r;
    }
    const double m00 = aa * (1 + lambda), m11 = bb * (1 + lambda), det = m00 * m11 - ab * ab;
    const double da = -(m11 * ga - ab * gb) / det, db = -(m00 * gb - ab * ga) / det;
    const double trial = residuals(a + da, b + db, nullptr, nullptr);
    if (trial < cost) {
      a += da;
      b += db;
      lambda = std::max(lambda / 10, 1e-12);
      const bool converged = cost - trial < 1e-14 * std::max(cost, 1e-300);
      cost = residuals(a, b, ja.data(), jb.data());
      if (converged) break;
    } else {
      lambda *= 10;
      if (lambda > 1e12) break;
    }
  }
  return {a, b};
}

void umap_memberships(const float* d, int k, double target, double mean_all, float* out) {
  const double rho = d[0];  // local_connectivity = 1: the nearest neighbour is fully connected
  double sigma = smooth_sigma(d, k, rho, target), mean_i = 0;
  for (int j = 0; j < k; ++j) mean_i += d[j];
  mean_i /= k;
  sigma = std::max(sigma, 1e-3 * (rho > 0 ? mean_i : mean_all));
  for (int j = 0; j < k; ++j)
    out[j] = d[j] - rho <= 0 ? 1.0f : static_cast<float>(std::exp(-(d[j] - rho) / sigma));
}

Affinities umap_graph(const KnnGraph& graph, int threads) {
  const int64_t n = graph.n;
  const int k = graph.k;
  const double target = std::log2(double(k + 1));
  double mean_all = 0;
  for (float d : graph.distance) mean_all += d;
  mean_all /= double(graph.distance.size());
  std::vector<float> strength(static_cast<size_t>(n * k));
  parallel_for(n, threads, [&](int64_t i) {
    umap_memberships(&graph.distance[i * k], k, target, mean_all, &strength[i * k]);
  });

  // The fuzzy union w_ij + w_ji - w_ij w_ji.
  return merge_with_transpose(
      graph, strength, [](float own, float other) { return own + other - own * other; }, threads);
}

}  // namespace attnviz
