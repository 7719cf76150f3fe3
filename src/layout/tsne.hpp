#pragma once
// t-SNE (van der Maaten 2014) with the FFT-accelerated interpolation gradient of FIt-SNE (Linderman et al.
// 2019), in 2D and 3D. Input similarities: perplexity-calibrated on the 3 x perplexity nearest neighbours,
// symmetrised. Optimisation as scikit-learn: early exaggeration, momentum, gains, PCA initialisation.
// Deterministic: no random numbers are drawn; results depend only on the input and the thread count.
#include <cstdint>
#include <vector>

#include "layout/knn.hpp"

namespace attnviz {

// Below this many points the optimisers of t-SNE and UMAP run on one thread.
constexpr int64_t kMinParallelPoints = 4096;
// Below this many points the repulsion is summed exactly over all pairs instead of on the FFT grid.
constexpr int64_t kExactRepulsionPoints = 1500;

struct TsneOptions {
  int dim = 2;             // 2 or 3
  double perplexity = 20;  // effective number of neighbours; kNN uses k = 3 x perplexity (20 as bench/layout)
  // Total iterations, early exaggeration included: 250 (100 exaggerated) in 2D, 150 (75) in 3D by default.
  // Fewer than openTSNE's 250 + 500: with the learning rate N / 12 the layout has converged by then
  // (bench/layout, mnist-vit l2h1 2D: trustworthiness 0.977 at 250 + 100 exaggerated, 0.977 at 300 + 100,
  // 0.981 at 400 + 200, 0.979 at 750 + 250; brown-gpt heads in 2D: within 0.002 of 300 + 100). 3D layouts
  // converge sooner: over six brown-gpt and four mnist-vit heads 150 + 75 averages the trustworthiness of
  // 250 + 100 (0.959 vs 0.958, 0.990 vs 0.990) at 60% of the time.
  int iterations = 0;                // 0: 250 in 2D, 150 in 3D
  int exaggeration_iterations = -1;  // -1: 100 in 2D, 75 in 3D; 0: none
  double exaggeration = 12;
  double learning_rate = 0;                     // 0: max(200, N / 12) (Belkina et al. 2019)
  double momentum = 0.5, final_momentum = 0.8;  // before / after early exaggeration
  double min_gain = 0.01;
  int interpolation_points = 3;  // Lagrange nodes per box and dimension
  double box_width = 1;          // box side in embedding units (FIt-SNE: 1 / intervals_per_integer)
  // Boxes per dimension; 0: 32 / 64 in 2D, 6 / 13 in 3D, then rounded up to what the next fast FFT size
  // (2^k, 3 x 2^k or 5 x 2^k grid nodes, padded) holds: up to 64 in 2D, 8, 10 or 13 in 3D. Coarser than
  // FIt-SNE (50 / unbounded, box side 1) to keep the FFTs cheap: at 20k points 2D trustworthiness does not
  // change (bench/layout), but the repulsion is only approximate (a few % error in 2D at spread 40). 3D
  // layouts of ~17k points spread to ~100: with 10 boxes one brown-gpt head fell to trustworthiness 0.83
  // (below PCA's 0.90), with 13 it reaches 0.96 (16: 0.965 at twice the time).
  int min_boxes = 0, max_boxes = 0;
  int threads = 1;
};

// Symmetric sparse P (sums to 1), rows in CSR form with ascending columns.
struct Affinities {
  int64_t n = 0;
  std::vector<int64_t> row_start;  // [n + 1]
  std::vector<int32_t> column;
  std::vector<float> value;
};

// P from a kNN graph: per point a Gaussian whose entropy matches log(perplexity) (binary search on its
// precision), over the given distances (squared when squared_distances, as scikit-learn does for euclidean),
// then P = (P_cond + P_cond^T) / 2N.
Affinities tsne_affinities(const KnnGraph& graph, double perplexity, bool squared_distances, int threads);

// init: [n, dim]. Returns the embedding [n, dim].
std::vector<float> tsne_optimise(const Affinities& p, std::vector<float> init, const TsneOptions& options);

// PCA of points scaled so the first coordinate has standard deviation 1e-4 (as scikit-learn's "pca" init).
std::vector<float> tsne_pca_init(const float* points, int64_t n, int dim, int out_dim);

// All of it: kNN (k = 3 x perplexity) in the given metric, affinities, PCA init, optimisation.
std::vector<float> tsne(const float* points, int64_t n, int dim, Metric metric, const TsneOptions& options);

}  // namespace attnviz
