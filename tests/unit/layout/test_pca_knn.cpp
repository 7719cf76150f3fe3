#include <gtest/gtest.h>

#include <Eigen/SVD>
#include <algorithm>
#include <random>
#include <set>

#include "layout/knn.hpp"
#include "layout/pca.hpp"

namespace attnviz {
namespace {

std::vector<float> random_points(int64_t n, int d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> x(static_cast<size_t>(n * d));
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < d; ++c) x[i * d + c] = g(rng) * float(d - c) + float(c);  // distinct variances
  return x;
}

TEST(Pca, MatchesJacobiSvd) {
  const int64_t n = 60;
  const int d = 6;
  const std::vector<float> x = random_points(n, d, 7);
  Eigen::MatrixXd m(n, d);
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < d; ++c) m(i, c) = x[i * d + c];
  m.rowwise() -= m.colwise().mean();
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeThinU | Eigen::ComputeThinV);
  for (int out : {2, 3}) {
    const PcaResult r = pca(x.data(), n, d, out);
    for (int o = 0; o < out; ++o) {
      const double s = svd.singularValues()(o);
      EXPECT_NEAR(r.variance[o], s * s / double(n - 1), 1e-3 * s * s / double(n - 1));
      double dot = 0;
      for (int c = 0; c < d; ++c) dot += r.axes[o * d + c] * svd.matrixV()(c, o);
      EXPECT_NEAR(std::abs(dot), 1.0, 1e-4);
      const double sign = dot > 0 ? 1 : -1;
      for (int64_t i = 0; i < n; ++i)
        EXPECT_NEAR(r.projection[i * out + o], sign * svd.matrixU()(i, o) * s, 1e-3);
      // Sign convention: the largest-magnitude coordinate of each axis is positive.
      int largest = 0;
      for (int c = 1; c < d; ++c)
        if (std::abs(r.axes[o * d + c]) > std::abs(r.axes[o * d + largest])) largest = c;
      EXPECT_GT(r.axes[o * d + largest], 0);
    }
  }
}

TEST(Pca, RejectsBadArguments) {
  const std::vector<float> x = random_points(10, 3, 1);
  EXPECT_THROW(pca(x.data(), 10, 3, 4), std::exception);
  EXPECT_THROW(pca(x.data(), 1, 3, 2), std::exception);
}

// Brute force in double: the k nearest by the metric, ties by index.
std::vector<int32_t> brute_force(const std::vector<float>& x, int64_t n, int d, int k, Metric metric) {
  std::vector<float> y = metric == Metric::Cosine ? unit_rows(x.data(), n, d) : x;
  std::vector<int32_t> out;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<std::pair<double, int32_t>> all;
    for (int64_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double s = 0;
      for (int c = 0; c < d; ++c) s += double(y[i * d + c] - y[j * d + c]) * (y[i * d + c] - y[j * d + c]);
      all.emplace_back(s, static_cast<int32_t>(j));
    }
    std::sort(all.begin(), all.end());
    for (int t = 0; t < k; ++t) out.push_back(all[t].second);
  }
  return out;
}

class KnnTest : public ::testing::TestWithParam<Metric> {};

TEST_P(KnnTest, ExactMatchesBruteForce) {
  const int64_t n = 300;
  const int d = 5, k = 7;
  const std::vector<float> x = random_points(n, d, 11);
  KnnOptions options;
  options.k = k;
  options.metric = GetParam();
  options.threads = 2;
  const KnnGraph g = nearest_neighbours(x.data(), n, d, options);
  const std::vector<int32_t> expected = brute_force(x, n, d, k, GetParam());
  int64_t agree = 0;
  for (size_t i = 0; i < expected.size(); ++i) agree += g.index[i] == expected[i];
  EXPECT_GE(double(agree) / double(expected.size()), 0.99);  // float rounding may swap near-ties
  for (int64_t i = 0; i < n; ++i)
    for (int t = 1; t < k; ++t) EXPECT_LE(g.distance[i * k + t - 1], g.distance[i * k + t]);
}

TEST_P(KnnTest, HnswRecallsMostNeighbours) {
  const int64_t n = 2000;
  const int d = 8, k = 10;
  const std::vector<float> x = random_points(n, d, 12);
  KnnOptions options;
  options.k = k;
  options.metric = GetParam();
  options.threads = 2;
  options.exact_max_points = 0;
  const KnnGraph g = nearest_neighbours(x.data(), n, d, options);
  const std::vector<int32_t> expected = brute_force(x, n, d, k, GetParam());
  int64_t found = 0;
  for (int64_t i = 0; i < n; ++i) {
    const std::set<int32_t> truth(expected.begin() + i * k, expected.begin() + (i + 1) * k);
    for (int t = 0; t < k; ++t) found += truth.count(g.index[i * k + t]);
  }
  EXPECT_GE(double(found) / double(n * k), 0.95);
}

INSTANTIATE_TEST_SUITE_P(Metrics, KnnTest, ::testing::Values(Metric::Euclidean, Metric::Cosine));

TEST(Knn, CosineDistanceIsOneMinusCos) {
  const std::vector<float> x = {1, 0, 0, 1, 1, 1, -1, 0};  // 4 points in 2D
  KnnOptions options;
  options.k = 3;
  const KnnGraph g = nearest_neighbours(x.data(), 4, 2, options);
  EXPECT_EQ(g.index[0], 2);
  EXPECT_NEAR(g.distance[0], 1 - std::sqrt(0.5), 1e-6);
  EXPECT_NEAR(g.distance[2], 2.0, 1e-6);  // the opposite point
}

TEST(Knn, NeedsMorePointsThanK) {
  const std::vector<float> x(10, 0.0f);
  KnnOptions options;
  options.k = 5;
  EXPECT_THROW(nearest_neighbours(x.data(), 5, 2, options), std::exception);
  EXPECT_THROW(parse_metric("manhattan"), std::exception);
}

}  // namespace
}  // namespace attnviz
