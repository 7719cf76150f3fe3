#pragma once
// The repulsive half of the t-SNE gradient by FFT-accelerated interpolation (FIt-SNE, Linderman et al.
// 2019), for embeddings of 2 or 3 dimensions.
//
// With K(r) = 1 / (1 + |r|^2), t-SNE needs for every point i
//   R_i = sum_j K_ij^2 (y_i - y_j) = y_i sum_j K_ij^2 - sum_j K_ij^2 y_j   and   Z = sum_{i != j} K_ij,
// sums over j of smooth kernels against D + 1 charges (1, y_j): K^2 for R, K for Z. The charges are spread
// onto an equispaced grid by Lagrange interpolation (p nodes per box and dimension), convolved with K^2 on
// the grid by FFT (fftw3f), and interpolated back to the points; Z is the unit charges' energy under K,
// summed over their spectrum. Coordinates are taken relative to the layout's centre so the two parts of R_i
// stay small where they cancel.
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace attnviz {

struct RepulsionOptions {
  int interpolation_points = 3;
  double box_width = 1;
  // Boxes per dimension: spread / box_width clamped to [min_boxes, max_boxes], then rounded up to as many
  // as the next fast FFT size holds.
  int min_boxes = 50, max_boxes = 160;
  int threads = 1;
};

// The same R and Z summed exactly over all pairs: O(n^2), cheaper than the grid for small n.
double exact_repulsion(const float* y, int64_t n, int dim, float* rep);

class FftRepulsion {
 public:
  FftRepulsion(int dim, RepulsionOptions options);
  ~FftRepulsion();
  FftRepulsion(const FftRepulsion&) = delete;
  FftRepulsion& operator=(const FftRepulsion&) = delete;

  // y: [n, dim]. Writes R into rep ([n, dim]) and returns Z.
  double compute(const float* y, int64_t n, float* rep);

 private:
  struct Plans;
  Plans& plans_for(int padded);  // the grid of `padded` nodes per dimension, with as many boxes as fit
  void update_kernels(Plans& plans, double spacing);
  double convolve(Plans& plans, int charge);

  int dim_;
  RepulsionOptions options_;
  std::map<int, std::unique_ptr<Plans>> plans_;  // by padded grid size
  std::vector<int32_t> base_;                    // per point and dimension: its box's first node
  std::vector<float> weight_;                    // per point and dimension: p Lagrange weights
};

}  // namespace attnviz
