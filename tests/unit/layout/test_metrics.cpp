#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "layout/metrics.hpp"

namespace attnviz {
namespace {

TEST(Spearman, KnownValues) {
  const std::vector<double> a = {1, 2, 3, 4, 5}, b = {10, 20, 30, 400, 5000}, c = {5, 4, 3, 2, 1};
  EXPECT_NEAR(spearman(a, b), 1.0, 1e-12);
  EXPECT_NEAR(spearman(a, c), -1.0, 1e-12);
  const std::vector<double> constant = {2, 2, 2, 2, 2};
  EXPECT_EQ(spearman(a, constant), 0.0);
  // Ties take their average rank: ranks of {1,1,2} are {0.5,0.5,2}.
  EXPECT_NEAR(spearman(std::vector<double>{1, 1, 2}, std::vector<double>{1, 2, 3}), std::sqrt(3.0) / 2,
              1e-12);
}

TEST(Trustworthiness, IdentityIsOne) {
  std::mt19937 rng(1);
  std::normal_distribution<float> g;
  std::vector<float> x(200 * 3);
  for (float& v : x) v = g(rng);
  EXPECT_NEAR(trustworthiness(x.data(), 3, x.data(), 3, 200, 10, Metric::Euclidean), 1.0, 1e-12);
}

TEST(Trustworthiness, ShuffledLayoutIsPoor) {
  std::mt19937 rng(2);
  std::normal_distribution<float> g;
  std::vector<float> x(300 * 4), y(300 * 2);
  for (float& v : x) v = g(rng);
  for (float& v : y) v = g(rng);
  EXPECT_LT(trustworthiness(x.data(), 4, y.data(), 2, 300, 10, Metric::Euclidean), 0.6);
}

TEST(Trustworthiness, SameOnAnyThreadCount) {
  // 700 points: the input distances span three blocks of rows, split unevenly over 3 threads.
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  const int64_t n = 700;
  std::vector<float> x(n * 8), y(n * 2);
  for (float& v : x) v = g(rng);
  for (int64_t i = 0; i < n; ++i) {  // a layout that keeps part of the input's structure
    y[i * 2] = x[i * 8] + 0.3f * g(rng);
    y[i * 2 + 1] = x[i * 8 + 1] + 0.3f * g(rng);
  }
  const double one = Trustworthiness(x.data(), 8, n, 10, Metric::Cosine, 1).of(y.data(), 2);
  EXPECT_GT(one, 0.6);
  EXPECT_LT(one, 0.99);
  EXPECT_EQ(Trustworthiness(x.data(), 8, n, 10, Metric::Cosine, 3).of(y.data(), 2), one);
  EXPECT_EQ(trustworthiness(x.data(), 8, y.data(), 2, n, 10, Metric::Cosine), one);
}

TEST(DistanceDotCorrelation, UnitVectorsArePerfect) {
  // On the unit sphere |q - k|^2 = 2 - 2 q.k: distance ranks pairs exactly as the dot product does.
  std::mt19937 rng(4);
  std::normal_distribution<float> g;
  const int64_t n = 50;
  const int d = 5;
  std::vector<float> points(2 * n * d);
  for (float& v : points) v = g(rng);
  for (int64_t i = 0; i < 2 * n; ++i) {
    double s = 0;
    for (int c = 0; c < d; ++c) s += points[i * d + c] * points[i * d + c];
    for (int c = 0; c < d; ++c) points[i * d + c] /= static_cast<float>(std::sqrt(s));
  }
  std::vector<QkPair> pairs;
  std::vector<double> dots;
  for (int64_t q = 0; q < n; ++q)
    for (int64_t k = 0; k < n; k += 7) {
      pairs.push_back({q, k});
      double s = 0;
      for (int c = 0; c < d; ++c) s += points[q * d + c] * points[(n + k) * d + c];
      dots.push_back(s);
    }
  EXPECT_NEAR(distance_dot_correlation(points.data(), n, d, pairs, dots), 1.0, 1e-9);
}

TEST(AttentionStats, UniformRows) {
  const int64_t t = 8;
  std::vector<float> a(t * t, 1.0f / t);
  std::vector<uint8_t> special(t, 0);
  special[0] = 1;
  AttentionStats s;
  s.add_sequence(a.data(), t, special.data());
  s.finish();
  EXPECT_NEAR(s.entropy, std::log(8.0), 1e-6);
  EXPECT_NEAR(s.entropy_normalised, 1.0, 1e-6);
  EXPECT_NEAR(s.max_weight, 1.0 / 8, 1e-7);
  EXPECT_NEAR(s.first_token, 1.0 / 8, 1e-7);
  EXPECT_NEAR(s.special_tokens, 1.0 / 8, 1e-7);
  EXPECT_NEAR(s.same, 1.0 / 8, 1e-7);
}

TEST(AttentionStats, OneHotFirstToken) {
  const int64_t t = 5;
  std::vector<float> a(t * t, 0.0f);
  for (int64_t i = 0; i < t; ++i) a[i * t] = 1.0f;
  const std::vector<uint8_t> special(t, 0);
  AttentionStats s;
  s.add_sequence(a.data(), t, special.data());
  s.finish();
  EXPECT_NEAR(s.first_token, 1.0, 1e-12);
  EXPECT_NEAR(s.entropy, 0.0, 1e-12);
  EXPECT_NEAR(s.max_weight, 1.0, 1e-12);
  EXPECT_NEAR(s.special_tokens, 0.0, 1e-12);
  EXPECT_NEAR(s.previous, 1.0 / 5, 1e-12);  // only row 1 attends to its previous token (the first)
}

TEST(AttentionStats, PreviousTokenHeadIsPositional) {
  const int64_t t = 6;
  std::vector<float> a(t * t, 0.0f);
  a[0] = 1.0f;
  for (int64_t i = 1; i < t; ++i) a[i * t + i - 1] = 1.0f;
  const std::vector<uint8_t> special(t, 0);
  AttentionStats s;
  s.add_sequence(a.data(), t, special.data());
  s.finish();
  EXPECT_NEAR(s.previous, 5.0 / 6, 1e-12);
  EXPECT_NEAR(s.positional, 5.0 / 6, 1e-12);
}

TEST(SampleIndices, DistinctSortedAndRepeatable) {
  const auto a = sample_indices(1000, 100, 9);
  EXPECT_EQ(a.size(), 100u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::adjacent_find(a.begin(), a.end()), a.end());
  EXPECT_EQ(a, sample_indices(1000, 100, 9));
  EXPECT_EQ(sample_indices(5, 10, 1).size(), 5u);
}

}  // namespace
}  // namespace attnviz
