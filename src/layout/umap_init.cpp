// UMAP's initial layout: PCA of the points, refined towards the graph's spectral embedding.
#include <algorithm>
#include <cmath>

#include "core/parallel.hpp"
#include "layout/pca.hpp"
#include "layout/umap_detail.hpp"

namespace attnviz {

using umap_detail::Rng;
using umap_detail::vertex_rng;

std::vector<float> umap_pca_init(const float* points, int64_t n, int dim, int out_dim, unsigned seed) {
  std::vector<float> y = pca(points, n, dim, out_dim).projection;
  float largest = 0;
  for (float v : y) largest = std::max(largest, std::abs(v));
  const float scale = largest > 0 ? 10.0f / largest : 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    Rng rng = vertex_rng(seed, i, 0);
    for (int c = 0; c < out_dim; ++c)
      y[i * out_dim + c] =
          y[i * out_dim + c] * scale + 1e-4f * (float(rng.next() >> 40) / float(1 << 24) - 0.5f);
  }
  return y;
}

void spectral_refine(const Affinities& graph, std::vector<float>& y, int dim, int iterations, int threads) {
  const int64_t n = graph.n;
  std::vector<double> degree(static_cast<size_t>(n), 0.0), v(y.begin(), y.end()), next(v.size());
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t e = graph.row_start[i]; e < graph.row_start[i + 1]; ++e) degree[i] += graph.value[e];
    total += degree[i];
  }
  const int workers = n >= kMinParallelPoints ? threads : 1;  // see tsne_optimise
  for (int it = 0; it < iterations; ++it) {
    // One step of the lazy random walk (I + D^-1 W) / 2 on every column.
    parallel_blocks(n, workers, [&](int64_t first, int64_t last, int) {
      for (int64_t i = first; i < last; ++i)
        for (int c = 0; c < dim; ++c) {
          double s = 0;
          for (int64_t e = graph.row_start[i]; e < graph.row_start[i + 1]; ++e)
            s += graph.value[e] * v[int64_t(graph.column[e]) * dim + c];
          next[i * dim + c] = 0.5 * (v[i * dim + c] + (degree[i] > 0 ? s / degree[i] : 0.0));
        }
    });
    // Gram-Schmidt in the degree-weighted inner product, against the constant vector first.
    for (int c = 0; c < dim; ++c) {
      double mean = 0;
      for (int64_t i = 0; i < n; ++i) mean += degree[i] * next[i * dim + c];
      mean /= total;
      for (int64_t i = 0; i < n; ++i) next[i * dim + c] -= mean;
      for (int b = 0; b < c; ++b) {
        double dot = 0;
        for (int64_t i = 0; i < n; ++i) dot += degree[i] * next[i * dim + c] * next[i * dim + b];
        for (int64_t i = 0; i < n; ++i) next[i * dim + c] -= dot * next[i * dim + b];
      }
      double norm = 0;
      for (int64_t i = 0; i < n; ++i) norm += degree[i] * next[i * dim + c] * next[i * dim + c];
      norm = norm > 0 ? 1 / std::sqrt(norm) : 1.0;
      for (int64_t i = 0; i < n; ++i) next[i * dim + c] *= norm;
    }
    std::swap(v, next);
  }
  double largest = 0;
  for (double x : v) largest = std::max(largest, std::abs(x));
  for (size_t i = 0; i < v.size(); ++i) y[i] = static_cast<float>(largest > 0 ? 10 * v[i] / largest : v[i]);
}

std::vector<float> umap_init(const float* points, int64_t n, int dim, const Affinities& graph,
                             const UmapOptions& options) {
  std::vector<float> y = umap_pca_init(points, n, dim, options.dim, options.seed);
  if (options.spectral_iterations > 0)
    spectral_refine(graph, y, options.dim, options.spectral_iterations, options.threads);
  return y;
}

}  // namespace attnviz
