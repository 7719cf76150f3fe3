#pragma once
// Placing new points (a probe's queries and keys, layout/head_input.hpp's order) into one head's stored
// layout without moving the dataset's points. Each step is a function; the server chains them per head:
//   1. normalise: the head's stored scale and shift (layout/normalise.hpp apply_normalisation);
//   2. PCA: the stored mean and axes, exactly as the dataset was projected (place_pca);
//   3. t-SNE and UMAP: the new points' nearest dataset points (PlaceIndex), then place_tsne (as openTSNE's
//      transform) or place_umap (as umap-learn's transform): affinity-weighted mean of the neighbours'
//      positions, then a short optimisation that moves only the new points against the fixed embedding
//      (t-SNE's repulsion from the embedding's TsneField, built once per head).
#include <cstdint>
#include <vector>

#include "layout/knn.hpp"
#include "layout/tsne_field.hpp"

namespace attnviz {

// x: [m, dim]; mean: [dim]; components: [out_dim, dim]. Returns [m, out_dim]: (x - mean) . components.
std::vector<float> place_pca(const float* x, int64_t m, int dim, const std::vector<float>& mean,
                             const std::vector<float>& components);

// The dataset side of one head, prepared once and reused for every probe: its normalised points in the
// geometry of the metric (unit rows for cosine) and their squared norms. Exact search by one sgemm per query
// block: at 2N = 40k points and head_dim 64 a 60-point probe costs ~0.3 GFLOP per head.
class PlaceIndex {
 public:
  PlaceIndex(const float* points, int64_t n, int dim, Metric metric);
  // The k nearest dataset points of each row of x [m, dim], nearest first, with distances in the metric's
  // units (as nearest_neighbours): graph.n = m.
  KnnGraph nearest(const float* x, int64_t m, int k) const;
  int64_t size() const { return n_; }
  size_t bytes() const { return points_.size() * sizeof(float) + norms_.size() * sizeof(float); }

 private:
  int64_t n_;
  int dim_;
  Metric metric_;
  std::vector<float> points_, norms_;
};

struct PlaceTsneOptions {
  double perplexity = 20;  // the layout's (layout_points lowers it for small inputs; pass what it used)
  bool squared_distances = false;  // true for euclidean, as tsne_affinities
  int iterations = 100;            // openTSNE's transform optimises 100 steps by default
  double learning_rate = 0.1;      // small: the point starts next to its neighbours and should stay there
};

// neighbours: from PlaceIndex::nearest with k = 3 x perplexity. embedding: the dataset's layout [n, out_dim];
// field: its repulsion (built once per layout and head). Returns [m, out_dim].
std::vector<float> place_tsne(const KnnGraph& neighbours, const float* embedding, int64_t n,
                              const TsneField& field, const PlaceTsneOptions& options);

struct PlaceUmapOptions {
  double min_dist = 0.1, spread = 1.0;  // the layout's (UmapOptions)
  int epochs = 30;                      // umap-learn's transform: 30 epochs above 10,000 points
  double learning_rate = 0.25;          // umap-learn's transform: a quarter of the fit's initial rate
  int negative_samples = 5;
  unsigned seed = 42;
};

// neighbours: from PlaceIndex::nearest with k = the layout's n_neighbors. Returns [m, out_dim].
std::vector<float> place_umap(const KnnGraph& neighbours, const float* embedding, int64_t n, int out_dim,
                              const PlaceUmapOptions& options);

}  // namespace attnviz
