#include "layout/place.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "core/error.hpp"
#include "layout/blas_threads.hpp"
#include "layout/nearest_selector.hpp"
#include "layout/tsne.hpp"
#include "layout/umap.hpp"

namespace attnviz {

namespace {

constexpr int64_t kQueryBlock = 64;

// The affinity-weighted mean of the neighbours' positions: where a new point starts (init [m, out_dim]).
std::vector<float> weighted_mean_init(const KnnGraph& g, const std::vector<float>& weight,
                                      const float* embedding, int out_dim) {
  std::vector<float> y(static_cast<size_t>(g.n * out_dim), 0.0f);
  for (int64_t i = 0; i < g.n; ++i) {
    double total = 0;
    for (int j = 0; j < g.k; ++j) total += weight[i * g.k + j];
    for (int j = 0; j < g.k; ++j) {
      const double w = total > 0 ? weight[i * g.k + j] / total : 1.0 / g.k;
      for (int c = 0; c < out_dim; ++c)
        y[i * out_dim + c] += float(w * embedding[g.index[i * g.k + j] * out_dim + c]);
    }
  }
  return y;
}

void check_embedding(const KnnGraph& g, int64_t n, int out_dim) {
  if (out_dim != 2 && out_dim != 3) throw Error("placement: the layout must be 2D or 3D");
  for (int32_t j : g.index)
    if (j < 0 || j >= n) throw Error("placement: a neighbour index is outside the layout");
}

}  // namespace

std::vector<float> place_pca(const float* x, int64_t m, int dim, const std::vector<float>& mean,
                             const std::vector<float>& components) {
  if (static_cast<int>(mean.size()) != dim || components.empty() || components.size() % dim != 0)
    throw Error("place_pca: the mean must have dim values and the components [out_dim, dim]");
  const int out_dim = static_cast<int>(components.size() / dim);
  std::vector<float> y(static_cast<size_t>(m * out_dim));
  for (int64_t i = 0; i < m; ++i)
    for (int o = 0; o < out_dim; ++o) {
      double s = 0;
      for (int c = 0; c < dim; ++c) s += (double(x[i * dim + c]) - mean[c]) * components[o * dim + c];
      y[i * out_dim + o] = static_cast<float>(s);
    }
  return y;
}

PlaceIndex::PlaceIndex(const float* points, int64_t n, int dim, Metric metric)
    : n_(n), dim_(dim), metric_(metric) {
  points_ =
      metric == Metric::Cosine ? unit_rows(points, n, dim) : std::vector<float>(points, points + n * dim);
  norms_ = squared_norms(points_.data(), n, dim);
}

KnnGraph PlaceIndex::nearest(const float* x, int64_t m, int k) const {
  if (k < 1 || k > n_) throw Error("placement: need at least k=" + std::to_string(k) + " dataset points");
  SingleThreadedBlas single_blas;
  const std::vector<float> q =
      metric_ == Metric::Cosine ? unit_rows(x, m, dim_) : std::vector<float>(x, x + m * dim_);
  const std::vector<float> q_norms = squared_norms(q.data(), m, dim_);
  KnnGraph g;
  g.n = m;
  g.k = k;
  g.index.resize(static_cast<size_t>(m * k));
  g.distance.resize(static_cast<size_t>(m * k));
  // Not zeroed: sgemm writes every value (beta = 0), and a 64 x 2N buffer is megabytes per head and probe.
  const std::unique_ptr<float[]> dots(new float[static_cast<size_t>(kQueryBlock * n_)]);
  NearestSelector nearest(k);
  for (int64_t first = 0; first < m; first += kQueryBlock) {
    const int64_t rows = std::min(kQueryBlock, m - first);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(n_), dim_,
                1.0f, q.data() + first * dim_, dim_, points_.data(), dim_, 0.0f, dots.get(),
                static_cast<int>(n_));
    for (int64_t r = 0; r < rows; ++r) {
      float* row = dots.get() + r * n_;
      const float qn = q_norms[first + r];
      for (int64_t j = 0; j < n_; ++j) row[j] = std::max(0.0f, qn + norms_[j] - 2.0f * row[j]);
      nearest.select(row, n_, g.distance.data() + (first + r) * k, g.index.data() + (first + r) * k);
    }
  }
  // Squared euclidean -> the metric's distance, as nearest_neighbours reports it.
  for (float& d : g.distance) d = metric_ == Metric::Cosine ? 0.5f * d : std::sqrt(d);
  return g;
}

std::vector<float> place_tsne(const KnnGraph& g, const float* embedding, int64_t n, const TsneField& field,
                              const PlaceTsneOptions& o) {
  const int out_dim = field.dim();
  check_embedding(g, n, out_dim);
  if (o.perplexity <= 1 || o.perplexity >= g.k + 1) throw Error("place_tsne: perplexity must be in (1, k]");
  // 1. p_{j|i} of each new point over its neighbours, at the layout's perplexity.
  std::vector<float> p(static_cast<size_t>(g.n * g.k));
  for (int64_t i = 0; i < g.n; ++i) {
    std::vector<float> d(g.distance.begin() + i * g.k, g.distance.begin() + (i + 1) * g.k);
    if (o.squared_distances)
      for (float& v : d) v *= v;
    tsne_conditional_row(d.data(), g.k, o.perplexity, &p[i * g.k]);
  }
  // 2. Start at the p-weighted mean of the neighbours' positions.
  std::vector<float> y = weighted_mean_init(g, p, embedding, out_dim);
  // 3. Gradient descent on KL(p_i || q_i), q_ij = w_ij / Z_i with w = 1 / (1 + |y_i - y_j|^2) over the fixed
  //    points, each new point alone: attraction to its neighbours exact, Z_i and the repulsion read from the
  //    embedding's field.
  for (int64_t i = 0; i < g.n; ++i) {
    float* yi = &y[i * out_dim];
    for (int step = 0; step < o.iterations; ++step) {
      double attract[3] = {0, 0, 0}, repel[3] = {0, 0, 0};
      for (int j = 0; j < g.k; ++j) {
        const float* yj = embedding + int64_t(g.index[i * g.k + j]) * out_dim;
        double d2 = 0;
        for (int c = 0; c < out_dim; ++c) d2 += double(yi[c] - yj[c]) * (yi[c] - yj[c]);
        const double w = 1.0 / (1.0 + d2);
        for (int c = 0; c < out_dim; ++c) attract[c] += p[i * g.k + j] * w * (yi[c] - yj[c]);
      }
      const double z = field.at(yi, repel);
      for (int c = 0; c < out_dim; ++c)
        yi[c] -= static_cast<float>(o.learning_rate * 4.0 * (attract[c] - repel[c] / std::max(z, 1e-12)));
    }
  }
  return y;
}

std::vector<float> place_umap(const KnnGraph& g, const float* embedding, int64_t n, int out_dim,
                              const PlaceUmapOptions& o) {
  check_embedding(g, n, out_dim);
  // 1. Membership strengths of each new point's neighbours (smooth kNN distances, log2(k) as umap-learn's
  //    transform with k = n_neighbors).
  double mean_all = 0;
  for (float d : g.distance) mean_all += d;
  mean_all /= std::max<size_t>(1, g.distance.size());
  std::vector<float> w(static_cast<size_t>(g.n * g.k));
  for (int64_t i = 0; i < g.n; ++i)
    umap_memberships(&g.distance[i * g.k], g.k, std::log2(double(g.k)), mean_all, &w[i * g.k]);
  // 2. Start at the membership-weighted mean of the neighbours' positions.
  std::vector<float> y = weighted_mean_init(g, w, embedding, out_dim);
  // 3. SGD on the fuzzy cross-entropy, moving only the new points: each edge pulls with its strength, each of
  //    its negative samples (random fixed points) pushes; the step decays linearly to 0.
  const UmapCurve curve = fit_umap_curve(o.min_dist, o.spread);
  const double a = curve.a, b = curve.b;
  for (int64_t i = 0; i < g.n; ++i) {
    std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(i));
    std::uniform_int_distribution<int64_t> any(0, n - 1);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    float* yi = &y[i * out_dim];
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
      const double alpha = o.learning_rate * (1.0 - double(epoch) / o.epochs);
      for (int j = 0; j < g.k; ++j) {
        if (unit(rng) > w[i * g.k + j]) continue;  // an edge is sampled with probability its strength
        const float* yj = embedding + int64_t(g.index[i * g.k + j]) * out_dim;
        double d2 = 0;
        for (int c = 0; c < out_dim; ++c) d2 += double(yi[c] - yj[c]) * (yi[c] - yj[c]);
        const double coeff =
            d2 > 0 ? -2.0 * a * b * std::pow(d2, b - 1.0) / (a * std::pow(d2, b) + 1.0) : 0.0;
        for (int c = 0; c < out_dim; ++c)
          yi[c] += static_cast<float>(alpha * std::clamp(coeff * (yi[c] - yj[c]), -4.0, 4.0));
        for (int s = 0; s < o.negative_samples; ++s) {
          const float* yk = embedding + any(rng) * out_dim;
          double e2 = 0;
          for (int c = 0; c < out_dim; ++c) e2 += double(yi[c] - yk[c]) * (yi[c] - yk[c]);
          if (e2 <= 0) continue;
          const double push = 2.0 * b / ((0.001 + e2) * (a * std::pow(e2, b) + 1.0));
          for (int c = 0; c < out_dim; ++c)
            yi[c] += static_cast<float>(alpha * std::clamp(push * (yi[c] - yk[c]), -4.0, 4.0));
        }
      }
    }
  }
  return y;
}

}  // namespace attnviz
