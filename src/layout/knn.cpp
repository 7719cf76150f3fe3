#include "layout/knn.hpp"

#include <cblas.h>

// hnswlib 0.6's SSE path reads one link past the end of a neighbour list to compute a prefetch address
// (AddressSanitizer reports it); its plain path does not, and the compiler vectorises the distances anyway.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/huge_pages.hpp"
#include "core/parallel.hpp"
#include "layout/blas_threads.hpp"
#include "layout/nearest_selector.hpp"
#include "layout/nn_descent.hpp"

namespace attnviz {

namespace {

constexpr int64_t kBlockRows = 128;

// Squared euclidean distances from a block of rows to all rows, then per-row selection.
void exact_neighbours(const float* x, int64_t n, int dim, int threads, KnnGraph& graph) {
  SingleThreadedBlas single_blas;
  const std::vector<float> norms = squared_norms(x, n, dim);
  const int64_t blocks = (n + kBlockRows - 1) / kBlockRows;
  parallel_blocks(blocks, threads, [&](int64_t first_block, int64_t last_block, int) {
    std::vector<float> dots = huge_page_vector<float>(static_cast<size_t>(kBlockRows * n));
    NearestSelector nearest(graph.k);
    for (int64_t b = first_block; b < last_block; ++b) {
      const int64_t first = b * kBlockRows, rows = std::min(kBlockRows, n - first);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(n), dim,
                  1.0f, x + first * dim, dim, x, dim, 0.0f, dots.data(), static_cast<int>(n));
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = first + r;
        float* row = dots.data() + r * n;
        // Squared distances from the dot products as the selection scans them (it mostly only compares);
        // the point itself at an infinite distance.
        row[i] = -INFINITY;
        const float norm_i = norms[i];
        const float* norm = norms.data();
        nearest.select_by([=](int64_t j) { return std::max(0.0f, norm_i + norm[j] - 2.0f * row[j]); }, n,
                          graph.distance.data() + i * graph.k, graph.index.data() + i * graph.k);
      }
    }
  });
}

// HNSW: built sequentially (parallel insertion would make the graph depend on thread timing), queried in
// parallel. Reports squared euclidean distances like exact_neighbours.
void approximate_neighbours(const float* x, int64_t n, int dim, const KnnOptions& options, KnnGraph& graph) {
  hnswlib::L2Space space(static_cast<size_t>(dim));
  hnswlib::HierarchicalNSW<float> index(&space, static_cast<size_t>(n), static_cast<size_t>(options.hnsw_m),
                                        static_cast<size_t>(options.hnsw_ef_construction), options.seed);
  for (int64_t i = 0; i < n; ++i) index.addPoint(x + i * dim, static_cast<hnswlib::labeltype>(i));
  index.setEf(
      static_cast<size_t>(options.hnsw_ef_search > 0 ? options.hnsw_ef_search : std::max(2 * graph.k, 64)));
  parallel_for(n, options.threads, [&](int64_t i) {
    auto found = index.searchKnn(x + i * dim, static_cast<size_t>(graph.k + 1));
    std::vector<std::pair<float, int32_t>> hits;
    while (!found.empty()) {
      if (static_cast<int64_t>(found.top().second) != i)
        hits.emplace_back(found.top().first, static_cast<int32_t>(found.top().second));
      found.pop();
    }
    std::sort(hits.begin(), hits.end());
    if (static_cast<int>(hits.size()) < graph.k) throw Error("HNSW returned too few neighbours");
    for (int j = 0; j < graph.k; ++j) {
      graph.distance[i * graph.k + j] = hits[j].first;
      graph.index[i * graph.k + j] = hits[j].second;
    }
  });
}

}  // namespace

std::vector<float> squared_norms(const float* x, int64_t n, int dim) {
  std::vector<float> norms(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    float s = 0;
    for (int c = 0; c < dim; ++c) s += x[i * dim + c] * x[i * dim + c];
    norms[i] = s;
  }
  return norms;
}

const char* metric_name(Metric metric) { return metric == Metric::Cosine ? "cosine" : "euclidean"; }

Metric parse_metric(const std::string& name) {
  if (name == "cosine") return Metric::Cosine;
  if (name == "euclidean") return Metric::Euclidean;
  throw Error("unknown metric '" + name + "' (expected cosine or euclidean)");
}

std::vector<float> unit_rows(const float* points, int64_t n, int dim) {
  std::vector<float> out(points, points + n * dim);
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int c = 0; c < dim; ++c) s += double(out[i * dim + c]) * out[i * dim + c];
    if (s == 0) continue;
    const float inv = static_cast<float>(1.0 / std::sqrt(s));
    for (int c = 0; c < dim; ++c) out[i * dim + c] *= inv;
  }
  return out;
}

KnnGraph nearest_neighbours(const float* points, int64_t n, int dim, const KnnOptions& options) {
  if (options.k < 1 || n <= options.k)
    throw Error("nearest neighbours: need more than k=" + std::to_string(options.k) + " points, got " +
                std::to_string(n));
  KnnGraph graph;
  graph.n = n;
  graph.k = options.k;
  graph.index.assign(static_cast<size_t>(n * options.k), 0);
  graph.distance.assign(static_cast<size_t>(n * options.k), 0.0f);
  std::vector<float> unit;
  const float* x = points;
  if (options.metric == Metric::Cosine) {
    unit = unit_rows(points, n, dim);
    x = unit.data();
  }
  if (n > options.exact_max_points)
    approximate_neighbours(x, n, dim, options, graph);
  else if (options.k <= options.nn_descent_max_k &&
           n >= std::max(options.nn_descent_min_points, options.nn_descent_points_per_k * options.k))
    graph = nn_descent(x, n, dim, options.k, {.seed = options.seed, .threads = options.threads});
  else
    exact_neighbours(x, n, dim, std::max(1, options.threads), graph);
  // Squared euclidean -> the reported distance (unit vectors: |x-y|^2 = 2 - 2cos).
  for (float& d : graph.distance) d = options.metric == Metric::Cosine ? 0.5f * d : std::sqrt(d);
  return graph;
}

KnnGraph truncate_neighbours(const KnnGraph& graph, int k) {
  if (k > graph.k) throw Error("truncate_neighbours: k larger than the graph's");
  KnnGraph out;
  out.n = graph.n;
  out.k = k;
  out.index.resize(static_cast<size_t>(graph.n * k));
  out.distance.resize(static_cast<size_t>(graph.n * k));
  for (int64_t i = 0; i < graph.n; ++i)
    for (int j = 0; j < k; ++j) {
      out.index[i * k + j] = graph.index[i * graph.k + j];
      out.distance[i * k + j] = graph.distance[i * graph.k + j];
    }
  return out;
}

Affinities merge_with_transpose(const KnnGraph& graph, const std::vector<float>& weight,
                                float (*combine)(float own, float other), int threads) {
  const int64_t n = graph.n;
  const int k = graph.k;
  // Each row gathers its own weights and the transposed ones (in one array, rows at `start`), sorts them by
  // column and merges the pairs.
  struct Entry {
    int32_t column;
    float own, other;
  };
  std::vector<int64_t> start(static_cast<size_t>(n + 1), 0), filled(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    start[i + 1] += k;
    for (int j = 0; j < k; ++j) ++start[graph.index[i * k + j] + 1];
  }
  for (int64_t i = 0; i < n; ++i) start[i + 1] += start[i];
  std::vector<Entry> entries(static_cast<size_t>(start[n]));
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) {
      const int32_t t = graph.index[i * k + j];
      entries[start[i] + filled[i]++] = {t, weight[i * k + j], 0.0f};
      entries[start[t] + filled[t]++] = {static_cast<int32_t>(i), 0.0f, weight[i * k + j]};
    }
  parallel_for(n, threads, [&](int64_t i) {  // filled[i] becomes the merged row's length
    Entry* row = entries.data() + start[i];
    std::sort(row, row + filled[i], [](const Entry& a, const Entry& b) { return a.column < b.column; });
    int64_t merged = 0;
    for (int64_t e = 0; e < filled[i]; ++e) {
      if (merged > 0 && row[merged - 1].column == row[e].column) {
        row[merged - 1].own += row[e].own;
        row[merged - 1].other += row[e].other;
      } else {
        row[merged++] = row[e];
      }
    }
    filled[i] = merged;
  });
  Affinities out;
  out.n = n;
  out.row_start.assign(static_cast<size_t>(n + 1), 0);
  for (int64_t i = 0; i < n; ++i) out.row_start[i + 1] = out.row_start[i] + filled[i];
  out.column.resize(static_cast<size_t>(out.row_start[n]));
  out.value.resize(static_cast<size_t>(out.row_start[n]));
  parallel_for(n, threads, [&](int64_t i) {
    for (int64_t e = 0; e < filled[i]; ++e) {
      const Entry& entry = entries[start[i] + e];
      out.column[out.row_start[i] + e] = entry.column;
      out.value[out.row_start[i] + e] = combine(entry.own, entry.other);
    }
  });
  return out;
}

}  // namespace attnviz
