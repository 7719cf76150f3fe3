#pragma once
// Principal component projection: the data, centred, projected on the top principal axes.
#include <cstdint>
#include <vector>

namespace attnviz {

struct PcaResult {
  std::vector<float> projection;  // [n, out_dim]: (point - mean) . axes
  std::vector<double> mean;       // [dim]
  std::vector<double> axes;       // [out_dim, dim], unit length, largest variance first
  std::vector<double> variance;   // [out_dim], variance along each axis
};

// points: [n, dim]. Covariance (dim x dim) by one sgemm, eigenvectors by Eigen's symmetric solver.
// Sign convention (deterministic): each axis points so that its largest-magnitude coordinate is positive.
PcaResult pca(const float* points, int64_t n, int dim, int out_dim);

}  // namespace attnviz
