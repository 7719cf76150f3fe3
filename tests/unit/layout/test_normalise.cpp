#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "layout/normalise.hpp"

namespace attnviz {
namespace {

std::vector<float> random_matrix(int64_t n, int d, float offset, float spread, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(offset, spread);
  std::vector<float> x(static_cast<size_t>(n * d));
  for (float& v : x) v = g(rng);
  return x;
}

// softmax over keys of q_i.k_j for every query i.
std::vector<double> softmax_rows(const std::vector<float>& q, const std::vector<float>& k, int d) {
  const size_t nq = q.size() / d, nk = k.size() / d;
  std::vector<double> out(nq * nk);
  for (size_t i = 0; i < nq; ++i) {
    double top = -INFINITY;
    for (size_t j = 0; j < nk; ++j) {
      double s = 0;
      for (int c = 0; c < d; ++c) s += double(q[i * d + c]) * k[j * d + c];
      out[i * nk + j] = s;
      top = std::max(top, s);
    }
    double sum = 0;
    for (size_t j = 0; j < nk; ++j) sum += out[i * nk + j] = std::exp(out[i * nk + j] - top);
    for (size_t j = 0; j < nk; ++j) out[i * nk + j] /= sum;
  }
  return out;
}

std::vector<double> centroid(const std::vector<float>& x, int d) {
  std::vector<double> m(d, 0.0);
  for (size_t i = 0; i < x.size(); ++i) m[i % d] += x[i];
  for (double& v : m) v /= double(x.size() / d);
  return m;
}

double mean_norm(const std::vector<float>& x, int d) {
  double total = 0;
  for (size_t i = 0; i < x.size() / d; ++i) {
    double s = 0;
    for (int c = 0; c < d; ++c) s += double(x[i * d + c]) * x[i * d + c];
    total += std::sqrt(s);
  }
  return total / double(x.size() / d);
}

struct Case {
  bool translate, scale;
};

class NormaliseTest : public ::testing::TestWithParam<Case> {};

TEST_P(NormaliseTest, LeavesEverySoftmaxRowUnchanged) {
  const int d = 16;
  // Keys far from the queries and much longer: the situation the paper's normalisation is for.
  std::vector<float> q = random_matrix(40, d, 0.3f, 1.0f, 1), k = random_matrix(60, d, -2.0f, 3.0f, 2);
  const std::vector<double> before = softmax_rows(q, k, d);
  normalise_qk(q, k, d, {GetParam().translate, GetParam().scale});
  const std::vector<double> after = softmax_rows(q, k, d);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(before[i], after[i], 1e-5) << i;
}

TEST_P(NormaliseTest, MeetsItsTargets) {
  const int d = 8;
  std::vector<float> q = random_matrix(50, d, 0.5f, 1.0f, 3), k = random_matrix(70, d, -1.5f, 4.0f, 4);
  const NormaliseResult r = normalise_qk(q, k, d, {GetParam().translate, GetParam().scale});
  if (GetParam().translate) {
    const auto mq = centroid(q, d), mk = centroid(k, d);
    for (int c = 0; c < d; ++c) EXPECT_NEAR(mq[c], mk[c], 1e-4);
  }
  if (GetParam().scale) {
    EXPECT_NEAR(mean_norm(q, d) / mean_norm(k, d), 1.0, 1e-4);
  } else {
    EXPECT_EQ(r.scale, 1.0f);
  }
}

INSTANTIATE_TEST_SUITE_P(Switches, NormaliseTest,
                         ::testing::Values(Case{true, true}, Case{true, false}, Case{false, true}));

TEST(Normalise, BothOffIsIdentity) {
  std::vector<float> q = random_matrix(5, 4, 0, 1, 5), k = random_matrix(6, 4, 0, 1, 6);
  const auto q0 = q, k0 = k;
  normalise_qk(q, k, 4, {false, false});
  EXPECT_EQ(q, q0);
  EXPECT_EQ(k, k0);
}

TEST(Normalise, RejectsBadShapes) {
  std::vector<float> q(7), k(8);
  EXPECT_THROW(normalise_qk(q, k, 4, {}), std::exception);
}

}  // namespace
}  // namespace attnviz
