#pragma once
// The repulsive half of the t-SNE gradient by FFT-accelerated interpolation (FIt-SNE, Linderman et al.
// 2019), for embeddings of 2 or 3 dimensions.
//
// With K(r) = 1 / (1 + |r|^2), t-SNE needs for every point i
//   R_i = sum_j H(y_i - y_j) with H(r) = K(r)^2 r   and   Z = sum_{i != j} K_ij,
// sums over j of smooth kernels of y_i - y_j against unit charges. The charges are spread onto an
// equispaced grid by Lagrange interpolation (p nodes per box and dimension) and transformed once by FFT
// (fftw3f); each component of H multiplies their spectrum, comes back as a potential on the grid and is
// interpolated to the points; Z is the charges' energy under K, summed over their spectrum. The kernels are
// even (K) or odd along one dimension (H's components), so their spectra come from cosine and sine transforms
// of one octant; H's components are one another turned, so one sine transform serves them all. A point's own
// charge pushes it nowhere (H is odd and its weights pair symmetrically); Z drops its self potential.
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
  void spread_kernel(const Plans& plans, const std::vector<int>& extent, int odd, float scale,
                     std::vector<float>& out) const;
  double transform_charges(Plans& plans);
  void force_potential(Plans& plans, int component);

  int dim_;
  RepulsionOptions options_;
  std::map<int, std::unique_ptr<Plans>> plans_;  // by padded grid size
  std::vector<int32_t> base_;                    // per point and dimension: its box's first node
  std::vector<float> weight_;                    // per point and dimension: p Lagrange weights
};

}  // namespace attnviz
