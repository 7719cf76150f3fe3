#pragma once
// t-SNE (van der Maaten 2014) with the FFT-accelerated interpolation gradient of FIt-SNE (Linderman et al.
// 2019), in 2D and 3D. Input similarities: perplexity-calibrated on the 3 x perplexity nearest neighbours,
// symmetrised. Optimisation as scikit-learn (early exaggeration, momentum, gains, PCA initialisation) with a
// larger late step and momentum, until the KL divergence stops falling (TsneOptions says by how much).
// Deterministic: no random numbers are drawn; results depend only on the input and the thread count.
#include <cstdint>
#include <vector>

#include "layout/knn.hpp"

namespace attnviz {

// Below this many points the optimisers of t-SNE and UMAP run on one thread.
constexpr int64_t kMinParallelPoints = 4096;
// Below this many points the repulsion is summed exactly over all pairs instead of on the FFT grid.
constexpr int64_t kExactRepulsionPoints = 1500;

// Defaults chosen by KL(P || Q), the objective, on the benchmark heads (bench/layout/tsne_compare.py; the
// measurements and the history are in docs/benchmarks.md).
struct TsneOptions {
  int dim = 2;             // 2 or 3
  double perplexity = 20;  // effective number of neighbours; kNN uses k = 3 x perplexity (20 as bench/layout)
  // P x exaggeration for the first iterations, so clusters gather before they spread (12 as scikit-learn,
  // openTSNE, FIt-SNE). 50 (FIt-SNE: 250): every benchmark head still ends within 1.01 x FIt-SNE-750's KL,
  // 50 iterations sooner than after 100.
  int exaggeration_iterations = 50;
  double exaggeration = 12;
  // 0: N / 12 while exaggerated (Belkina et al. 2019), then N in 2D (the largest step the attraction bears,
  // Linderman & Steinerberger 2019) and N / 12 in 3D (larger steps blow up on its coarse grid); at least 200.
  // > 0: this rate throughout.
  double learning_rate = 0;
  // 0.95 after exaggeration (scikit-learn, FIt-SNE: 0.8): FIt-SNE-750's KL ~100 iterations later, not ~500.
  double momentum = 0.5, final_momentum = 0.95;
  // Stopping: after exaggeration the KL divergence is estimated every check_every iterations (one pass over
  // P; Z comes with the gradient). The run stops when it fell by less than tolerance (relative) since the
  // previous estimate, or at max_iterations. Where it rose (a grid too coarse for the layout's spread, or a
  // step too large), the layout of the previous estimate is returned.
  int check_every = 25;
  double tolerance = 0.02;       // every benchmark head at or below FIt-SNE-750's KL; 1% costs ~30% more time
  int max_iterations = 1000;     // exaggerated ones included
  double min_gain = 0.01;        // as scikit-learn: a shrinking gain never stalls a coordinate
  int interpolation_points = 3;  // Lagrange nodes per box and dimension (FIt-SNE's)
  double box_width = 1;          // box side in embedding units (FIt-SNE: 1 / intervals_per_integer)
  // Boxes per dimension (spread / box_width, clamped), rounded up to what the next fast FFT size (2^k, 3 x
  // 2^k or 5 x 2^k grid nodes, padded) holds. 0: 32-96 in 2D (fewer than 96 leave converged 2D layouts'
  // forces far off), 6-13 in 3D (the 3D FFT's cost grows with the cube).
  int min_boxes = 0, max_boxes = 0;
  int threads = 1;
};

// What tsne_optimise returns.
struct TsneResult {
  std::vector<float> embedding;  // [n, dim]
  // KL(P || Q) of the embedding, with Z as the gradient has it: summed exactly below kExactRepulsionPoints,
  // from the FFT grid above (the KL within ~1% of the exact sum's in 2D; in 3D up to ~8% above it, the grid
  // being coarse; bench/layout/kl.py sums exactly).
  double kl_divergence = 0;
  int iterations = 0;      // gradient steps taken to the embedding, exaggerated ones included
  bool converged = false;  // stopped by the tolerance rather than max_iterations
};

// One point's conditional probabilities p_{j|i} over its k neighbours at `distance` (ascending): exp(-beta d)
// normalised, beta found by bisection so that the entropy equals log(perplexity) (as scikit-learn's
// _binary_search_perplexity).
void tsne_conditional_row(const float* distance, int k, double perplexity, float* out);

// P from a kNN graph: per point a Gaussian whose entropy matches log(perplexity) (binary search on its
// precision), over the given distances (squared when squared_distances, as scikit-learn does for euclidean),
// then P = (P_cond + P_cond^T) / 2N.
Affinities tsne_affinities(const KnnGraph& graph, double perplexity, bool squared_distances, int threads);

// init: [n, dim]. Deterministic for given inputs and thread count, the stopping iteration included.
TsneResult tsne_optimise(const Affinities& p, std::vector<float> init, const TsneOptions& options);

// PCA of points scaled so the first coordinate has standard deviation 1e-4 (as scikit-learn's "pca" init).
std::vector<float> tsne_pca_init(const float* points, int64_t n, int dim, int out_dim);

// All of it: kNN (k = 3 x perplexity) in the given metric, affinities, PCA init, optimisation.
TsneResult tsne(const float* points, int64_t n, int dim, Metric metric, const TsneOptions& options);

}  // namespace attnviz
