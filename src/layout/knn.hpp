#pragma once
// k nearest neighbours of every point among the same points (self excluded).
// Exact by blocked matrix products (OpenBLAS sgemm) up to KnnOptions::exact_max_points, HNSW beyond; for a
// small k over several thousand points, NN-descent (nn_descent.hpp) in place of the exact product.
#include <cstdint>
#include <string>
#include <vector>

namespace attnviz {

enum class Metric { Euclidean, Cosine };

const char* metric_name(Metric metric);        // "euclidean", "cosine"
Metric parse_metric(const std::string& name);  // Error on unknown names

struct KnnOptions {
  int k = 15;
  Metric metric = Metric::Cosine;
  int threads = 1;
  int64_t exact_max_points = 60000;  // brute force costs n^2 d; HNSW wins beyond about this size
  // NN-descent instead of the exact product for k <= nn_descent_max_k and n >= max(nn_descent_min_points,
  // nn_descent_points_per_k * k): its cost grows as n k^2 and the product's as n^2, so it wins for small k
  // over enough points (measured on the benchmark heads, 2-3x at k = 9 and 17-20k points, none at k = 20 and
  // 5,000, little at k = 30; 0.994-0.999 of the float64 neighbours found: docs/benchmarks.md).
  int nn_descent_max_k = 20;
  int64_t nn_descent_min_points = 5000;
  int64_t nn_descent_points_per_k = 500;
  int hnsw_m = 16, hnsw_ef_construction = 100;
  int hnsw_ef_search = 0;  // 0: max(2k, 64)
  unsigned seed = 42;      // HNSW level generator, NN-descent's random start and sampling
};

// Row i lists the k nearest neighbours of point i, nearest first (ties: lower index first).
// distance: euclidean distance, or cosine distance 1 - cos(x, y).
struct KnnGraph {
  int64_t n = 0;
  int k = 0;
  std::vector<int32_t> index;   // [n, k]
  std::vector<float> distance;  // [n, k]
};

// points: [n, dim] row-major. Needs n > k.
KnnGraph nearest_neighbours(const float* points, int64_t n, int dim, const KnnOptions& options);

// The first k columns of a graph with more neighbours per point.
KnnGraph truncate_neighbours(const KnnGraph& graph, int k);

// A symmetric sparse matrix over the points, rows in CSR form with ascending columns: t-SNE's P (sums to 1),
// UMAP's fuzzy graph.
struct Affinities {
  int64_t n = 0;
  std::vector<int64_t> row_start;  // [n + 1]
  std::vector<int32_t> column;
  std::vector<float> value;
};

// A weighted kNN graph merged with its transpose: row i lists every j that i lists or that lists i, valued
// combine(w_ij, w_ji), a missing side being 0 (t-SNE sums the two sides, UMAP takes their fuzzy union).
// weight: [n, k], one per graph entry.
Affinities merge_with_transpose(const KnnGraph& graph, const std::vector<float>& weight,
                                float (*combine)(float own, float other), int threads);

// Each row's squared length: [n].
std::vector<float> squared_norms(const float* points, int64_t n, int dim);

// Rows scaled to unit length (zero rows stay zero): cosine geometry as euclidean geometry.
std::vector<float> unit_rows(const float* points, int64_t n, int dim);

}  // namespace attnviz
