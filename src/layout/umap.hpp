#pragma once
// UMAP (McInnes, Healy & Melville 2018), following umap-learn: fuzzy simplicial set on the k nearest
// neighbours, curve parameters a, b fitted from min_dist and spread, stochastic gradient descent with
// negative sampling.
// Initialisation: PCA, refined towards the spectral embedding umap-learn starts from by a hundred steps
// of subspace iteration on the graph (a full eigensolve at 10k-100k points would cost more than the SGD);
// scaled to a box of half-width 10 as umap-learn scales its init.
// Determinism: every vertex only moves itself, its negative samples are hashes of a counter keyed by the
// seed and its index, and within an epoch the other endpoints are read from the previous epoch's positions,
// so the result depends on the seed only, not on the thread count or timing.
#include <cstdint>
#include <vector>

#include "layout/knn.hpp"
#include "layout/tsne.hpp"

namespace attnviz {

struct UmapOptions {
  int dim = 2;
  int neighbors = 10;  // counts the point itself, as umap-learn's n_neighbors (10 as bench/layout)
  double min_dist = 0.1, spread = 1.0;
  // 0: 250 above 10,000 points (umap-learn: 200, but it moves both ends of an edge, this optimiser one per
  // epoch), else 500 (umap-learn).
  int epochs = 0;
  // Negative samples per edge sample, each repelling with repulsion_strength: umap-learn's 5 at 1. 3 at 5/3
  // is the same expected repulsion for 2/3 of the samples (the epoch's largest cost) and as trustworthy
  // over four benchmark heads x 3 seeds (docs/benchmarks.md).
  int negative_samples = 3;
  double learning_rate = 1.0;  // decays linearly to 0
  double repulsion_strength = 5.0 / 3.0;
  // Subspace iteration steps from the PCA init (0: PCA init only). 100: trustworthiness as good as 200's
  // over five benchmark heads x 3-4 seeds (docs/benchmarks.md), at half the init's cost.
  int spectral_iterations = 100;
  unsigned seed = 42;
  int threads = 1;
};

struct UmapCurve {
  double a = 0, b = 0;
};

// Least-squares fit of 1 / (1 + a x^(2b)) to 1 (x < min_dist) or exp(-(x - min_dist) / spread) on
// 300 points in [0, 3 spread], by Levenberg-Marquardt (umap-learn uses scipy's curve_fit the same way).
UmapCurve fit_umap_curve(double min_dist, double spread);

// One point's membership strengths over its k neighbours at distances d (ascending), as umap-learn's
// smooth_knn_dist: exp(-(d - rho) / sigma), rho the nearest distance, sigma such that they sum to `target`
// (log2 of the neighbours counting the point itself); mean_all (the graph's mean distance) bounds sigma
// below.
void umap_memberships(const float* d, int k, double target, double mean_all, float* out);

// Fuzzy union of the per-point membership strengths (smooth kNN distances), as symmetric CSR.
// graph excludes the point itself, so it should have neighbors - 1 columns.
Affinities umap_graph(const KnnGraph& graph, int threads);

struct UmapResult {
  std::vector<float> embedding;  // [n, dim]
  // The fuzzy-set cross-entropy UMAP minimises, over all ordered pairs i != j of the final layout:
  // sum w log(w / v) + (1 - w) log((1 - w) / (1 - v)) with v = 1 / (1 + a d^(2b)). The graph's edges are
  // summed exactly; the pairs outside the graph (w = 0, terms -log(1 - v)) are estimated from a seeded sample
  // of kCrossEntropySamples pairs per point (within 2% of the exact sum on 600 points, unit-tested), their
  // terms in float by fast_math.hpp (each within 3e-4 of libm's).
  double cross_entropy = 0;
  int epochs = 0;
};

constexpr int kCrossEntropySamples = 256;

// init: [n, dim].
UmapResult umap_optimise(const Affinities& graph, std::vector<float> init, const UmapOptions& options);

// Initial layout: PCA, scaled so the largest coordinate magnitude is 10, plus 1e-4 noise from the seed.
std::vector<float> umap_pca_init(const float* points, int64_t n, int dim, int out_dim, unsigned seed);

// Moves an initial layout towards the graph's spectral embedding: subspace iteration of the lazy random walk
// (I + D^-1 W) / 2, orthogonal to the constant vector in the degree-weighted inner product, then scaled so
// the largest coordinate magnitude is 10.
void spectral_refine(const Affinities& graph, std::vector<float>& y, int dim, int iterations, int threads);

// The initial layout: PCA, then spectral_refine for options.spectral_iterations steps.
std::vector<float> umap_init(const float* points, int64_t n, int dim, const Affinities& graph,
                             const UmapOptions& options);

UmapResult umap(const float* points, int64_t n, int dim, Metric metric, const UmapOptions& options);

}  // namespace attnviz
