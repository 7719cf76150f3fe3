// NN-descent against brute force: recall on a clustered set, distances as the exact path reports them,
// rows sorted, and the same graph for any thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "layout/knn.hpp"
#include "layout/nn_descent.hpp"

namespace attnviz {
namespace {

// n points in dim dimensions around `clusters` gaussian centres of different spreads.
std::vector<float> clustered_points(int64_t n, int dim, int clusters, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> centres(static_cast<size_t>(clusters * dim));
  for (float& c : centres) c = 4.0f * g(rng);
  std::vector<float> x(static_cast<size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % clusters;
    const float spread = 0.5f + 0.1f * static_cast<float>(c % 5);
    for (int d = 0; d < dim; ++d) x[i * dim + d] = centres[c * dim + d] + spread * g(rng);
  }
  return x;
}

KnnOptions options_for(int k, Metric metric, bool descent, int threads) {
  KnnOptions o;
  o.k = k;
  o.metric = metric;
  o.threads = threads;
  o.nn_descent_min_points = descent ? 1 : std::numeric_limits<int64_t>::max();
  o.nn_descent_points_per_k = 0;
  return o;
}

// Mean over points of the share of the exact neighbours found.
double recall(const KnnGraph& found, const KnnGraph& exact) {
  double sum = 0;
  for (int64_t i = 0; i < exact.n; ++i) {
    const std::set<int32_t> truth(exact.index.begin() + i * exact.k, exact.index.begin() + (i + 1) * exact.k);
    int hits = 0;
    for (int j = 0; j < found.k; ++j) hits += truth.count(found.index[i * found.k + j]) ? 1 : 0;
    sum += double(hits) / exact.k;
  }
  return sum / double(exact.n);
}

TEST(NnDescent, FindsTheExactNeighboursOfAClusteredSet) {
  const int64_t n = 4000;
  const int dim = 24;
  const std::vector<float> x = clustered_points(n, dim, 25, 3);
  for (Metric metric : {Metric::Euclidean, Metric::Cosine}) {
    for (int k : {5, 9, 15}) {
      const KnnGraph exact = nearest_neighbours(x.data(), n, dim, options_for(k, metric, false, 2));
      const KnnGraph found = nearest_neighbours(x.data(), n, dim, options_for(k, metric, true, 2));
      EXPECT_GE(recall(found, exact), 0.99) << metric_name(metric) << " k=" << k;
    }
  }
}

TEST(NnDescent, ReportsDistancesOfTheNeighboursItFound) {
  const int64_t n = 3000;
  const int dim = 13;  // not a multiple of 8: the tail of the distance loop
  const std::vector<float> x = clustered_points(n, dim, 10, 5);
  const KnnGraph g = nearest_neighbours(x.data(), n, dim, options_for(9, Metric::Euclidean, true, 1));
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < g.k; ++j) {
      const int32_t w = g.index[i * g.k + j];
      ASSERT_NE(w, i);
      double s = 0;
      for (int c = 0; c < dim; ++c)
        s += double(x[i * dim + c] - x[w * dim + c]) * (x[i * dim + c] - x[w * dim + c]);
      EXPECT_NEAR(g.distance[i * g.k + j], std::sqrt(s), 1e-4 * std::sqrt(s) + 1e-6);
      if (j > 0) {  // nearest first, ties by lower index, no repeats
        const float a = g.distance[i * g.k + j - 1], b = g.distance[i * g.k + j];
        EXPECT_TRUE(a < b || (a == b && g.index[i * g.k + j - 1] < w));
      }
    }
  }
}

TEST(NnDescent, SameGraphForAnyThreadCount) {
  const int64_t n = 3000;
  const int dim = 16;
  const std::vector<float> x = clustered_points(n, dim, 12, 9);
  const KnnGraph one = nearest_neighbours(x.data(), n, dim, options_for(9, Metric::Cosine, true, 1));
  for (int threads : {2, 3}) {
    const KnnGraph many = nearest_neighbours(x.data(), n, dim, options_for(9, Metric::Cosine, true, threads));
    EXPECT_EQ(one.index, many.index) << threads << " threads";
    EXPECT_EQ(one.distance, many.distance) << threads << " threads";
  }
}

TEST(NnDescent, NearestNeighboursUsesItForSmallKOverManyPoints) {
  const int64_t n = 6000;
  const int dim = 8;
  const std::vector<float> x = clustered_points(n, dim, 20, 11);
  auto by_default = [&](int k) {
    KnnOptions o;
    o.k = k;
    o.metric = Metric::Euclidean;
    return nearest_neighbours(x.data(), n, dim, o);
  };
  const KnnGraph small = by_default(9), descent = nn_descent(x.data(), n, dim, 9, {});
  EXPECT_EQ(small.index, descent.index);
  const KnnGraph large = by_default(30),
                 exact = nearest_neighbours(x.data(), n, dim, options_for(30, Metric::Euclidean, false, 1));
  EXPECT_EQ(large.index, exact.index);
  EXPECT_EQ(large.distance, exact.distance);
}

TEST(NnDescent, HandlesTinyAndDegenerateInputs) {
  // n = k + 1: every other point is a neighbour. Identical points: distance 0, ties by index.
  const std::vector<float> same(static_cast<size_t>(12 * 4), 1.0f);
  const KnnGraph g = nn_descent(same.data(), 12, 4, 11, {});
  for (int64_t i = 0; i < 12; ++i) {
    std::vector<int32_t> expected;
    for (int32_t j = 0; j < 12; ++j)
      if (j != i) expected.push_back(j);
    EXPECT_EQ(std::vector<int32_t>(g.index.begin() + i * 11, g.index.begin() + (i + 1) * 11), expected);
  }
  for (float d : g.distance) EXPECT_EQ(d, 0.0f);
}

}  // namespace
}  // namespace attnviz
