#pragma once
// The repulsion of a fixed t-SNE embedding, as placing new points into it (layout/place.hpp place_tsne) needs
// it at any position y, with K(r) = 1 / (1 + |r|^2):
//   Z(y) = sum_j K(y - y_j)   and   R(y) = sum_j K(y - y_j)^2 (y - y_j)   over the embedding's points j.
// Built once per head and then read in O(1): the points' unit charges are spread onto an equispaced grid
// (multilinear, "cloud in cell") over the embedding's bounding box plus a margin, convolved with K and
// K^2 r on the grid by FFT (fftw3f, zero-padded: a linear convolution), and read back at y by multilinear
// interpolation of the grid's values. Every point counts, unlike a sample; the error is that of a grid
// spacing of at most kFieldSpacing (the kernel's width is 1) on layouts up to kFieldNodes nodes wide.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace attnviz {

class TsneField {
 public:
  // embedding: [n, dim], dim 2 or 3.
  TsneField(const float* embedding, int64_t n, int dim);

  // Z(y), and R(y) into rep [dim]. A y outside the grid (at least the margin away from every point) sees the
  // points as one charge at their mean.
  double at(const float* y, double* rep) const;

  int dim() const { return dim_; }
  size_t bytes() const { return values_.size() * sizeof(float); }

 private:
  int dim_, nodes_ = 0;  // nodes per dimension
  int64_t count_;
  double origin_[3] = {0, 0, 0}, spacing_ = 1, centre_[3] = {0, 0, 0};
  std::vector<float> values_;  // [nodes^dim, 1 + dim]: Z, then R's components
};

}  // namespace attnviz
