// t-SNE stops on convergence: on well-separated clusters (enough points for the FFT repulsion) the layout
// separates them, its reported KL divergence is the one a brute-force sum over all pairs gives, that KL is
// within a few % of what running on to twice the iterations reaches, and stopping is deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "layout/tsne.hpp"
#include "support/clusters.hpp"

namespace attnviz {
namespace {

constexpr int kClusters = 4, kPerCluster = 400, kDim = 10;
constexpr int64_t kPoints = kClusters * kPerCluster;  // above kExactRepulsionPoints: the FFT path

std::vector<float> separated_clusters() {
  return test::gaussian_clusters(kClusters, kPerCluster, kDim, 10, 11);
}

Affinities affinities_of(const std::vector<float>& x, const TsneOptions& options) {
  KnnOptions knn;
  knn.k = static_cast<int>(std::ceil(3 * options.perplexity));
  knn.metric = Metric::Euclidean;
  return tsne_affinities(nearest_neighbours(x.data(), kPoints, kDim, knn), options.perplexity, true, 1);
}

// KL(P || Q) by brute force: Z summed over every ordered pair, in double.
double brute_force_kl(const Affinities& p, const std::vector<float>& y, int dim) {
  auto d2 = [&](int64_t i, int64_t j) {
    double s = 0;
    for (int c = 0; c < dim; ++c)
      s += double(y[i * dim + c] - y[j * dim + c]) * (y[i * dim + c] - y[j * dim + c]);
    return s;
  };
  double z = 0;
  for (int64_t i = 0; i < p.n; ++i)
    for (int64_t j = 0; j < p.n; ++j)
      if (i != j) z += 1 / (1 + d2(i, j));
  double kl = 0;
  for (int64_t i = 0; i < p.n; ++i)
    for (int64_t e = p.row_start[i]; e < p.row_start[i + 1]; ++e) {
      const double v = p.value[e], q = 1 / (1 + d2(i, p.column[e])) / z;
      kl += v * std::log(v / q);
    }
  return kl;
}

// The clusters lie apart: the closest two points of different clusters are further apart than three times
// the median distance from a point to its nearest neighbour in its own cluster.
void expect_separated(const std::vector<float>& y, int dim) {
  auto dist = [&](int64_t i, int64_t j) {
    double s = 0;
    for (int c = 0; c < dim; ++c)
      s += double(y[i * dim + c] - y[j * dim + c]) * (y[i * dim + c] - y[j * dim + c]);
    return std::sqrt(s);
  };
  std::vector<double> nearest_own(static_cast<size_t>(kPoints), INFINITY);
  double closest_other = INFINITY;
  for (int64_t i = 0; i < kPoints; ++i)
    for (int64_t j = 0; j < kPoints; ++j) {
      if (i == j) continue;
      if (i % kClusters == j % kClusters)
        nearest_own[i] = std::min(nearest_own[i], dist(i, j));
      else
        closest_other = std::min(closest_other, dist(i, j));
    }
  std::nth_element(nearest_own.begin(), nearest_own.begin() + kPoints / 2, nearest_own.end());
  EXPECT_GT(closest_other, 3 * nearest_own[kPoints / 2]);
}

// The clusters' affinities and PCA initialisation in GetParam() dimensions, with default options on 2
// threads.
class TsneConvergence : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    options.dim = GetParam();
    options.threads = 2;
    p = affinities_of(x, options);
    init = tsne_pca_init(x.data(), kPoints, kDim, options.dim);
  }
  const std::vector<float> x = separated_clusters();
  TsneOptions options;
  Affinities p;
  std::vector<float> init;
};

TEST_P(TsneConvergence, StopsConvergedOnSeparatedClusters) {
  const int dim = options.dim;
  const TsneResult result = tsne_optimise(p, init, options);
  ASSERT_EQ(result.embedding.size(), size_t(kPoints * dim));
  for (float v : result.embedding) ASSERT_TRUE(std::isfinite(v));
  EXPECT_TRUE(result.converged);  // by the tolerance, before the cap
  expect_separated(result.embedding, dim);

  // The reported KL is the embedding's (Z from the FFT grid: within 1% of the exact sum in 2D, 2% on the
  // coarser 3D grid).
  const double kl = brute_force_kl(p, result.embedding, dim);
  EXPECT_NEAR(result.kl_divergence, kl, (dim == 2 ? 0.01 : 0.02) * kl);
  EXPECT_LT(kl, 0.5 * brute_force_kl(p, init, dim));

  // Going on for up to twice as many iterations (until the KL rises) gains little: the stop was at
  // convergence.
  TsneOptions longer = options;
  longer.tolerance = 0;
  longer.max_iterations = 2 * result.iterations;
  const TsneResult more = tsne_optimise(p, init, longer);
  EXPECT_GE(more.iterations, result.iterations);
  EXPECT_LE(kl, 1.05 * brute_force_kl(p, more.embedding, dim));
}

TEST_P(TsneConvergence, StoppingIsDeterministic) {
  const TsneResult a = tsne_optimise(p, init, options), b = tsne_optimise(p, init, options);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.kl_divergence, b.kl_divergence);
  EXPECT_EQ(a.embedding, b.embedding);
}

INSTANTIATE_TEST_SUITE_P(Dims, TsneConvergence, ::testing::Values(2, 3),
                         [](const auto& info) { return std::to_string(info.param) + "d"; });

TEST(Tsne, MaxIterationsCapsTheRun) {
  const std::vector<float> x = separated_clusters();
  TsneOptions options;
  options.max_iterations = 40;  // inside early exaggeration: the KL is still measured at the end
  const Affinities p = affinities_of(x, options);
  const TsneResult result = tsne_optimise(p, tsne_pca_init(x.data(), kPoints, kDim, 2), options);
  EXPECT_EQ(result.iterations, 40);
  EXPECT_FALSE(result.converged);
  EXPECT_NEAR(result.kl_divergence, brute_force_kl(p, result.embedding, 2), 0.01 * result.kl_divergence);
}

}  // namespace
}  // namespace attnviz
