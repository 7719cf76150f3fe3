#include "layout/pca.hpp"

#include <cblas.h>

#include <Eigen/Eigenvalues>
#include <cmath>

#include "core/error.hpp"
#include "layout/blas_threads.hpp"

namespace attnviz {

PcaResult pca(const float* points, int64_t n, int dim, int out_dim) {
  if (n < 2 || out_dim < 1 || out_dim > dim)
    throw Error("pca: need at least 2 points and 1 <= out_dim <= dim (n=" + std::to_string(n) +
                ", dim=" + std::to_string(dim) + ", out_dim=" + std::to_string(out_dim) + ")");
  SingleThreadedBlas single_blas;
  std::vector<double> mean(static_cast<size_t>(dim), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < dim; ++c) mean[c] += points[i * dim + c];
  for (double& m : mean) m /= static_cast<double>(n);
  std::vector<float> centred(points, points + n * dim);
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < dim; ++c) centred[i * dim + c] -= static_cast<float>(mean[c]);

  std::vector<float> cov(static_cast<size_t>(dim) * dim);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dim, dim, static_cast<int>(n), 1.0f / float(n - 1),
              centred.data(), dim, centred.data(), dim, 0.0f, cov.data(), dim);
  Eigen::MatrixXd c(dim, dim);
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b < dim; ++b) c(a, b) = 0.5 * (double(cov[a * dim + b]) + cov[b * dim + a]);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(c);
  if (solver.info() != Eigen::Success) throw Error("pca: eigen decomposition failed");

  PcaResult result;
  result.mean = mean;
  result.axes.resize(static_cast<size_t>(out_dim) * dim);
  result.variance.resize(static_cast<size_t>(out_dim));
  std::vector<float> axes_f(static_cast<size_t>(out_dim) * dim);
  for (int o = 0; o < out_dim; ++o) {
    const int col = dim - 1 - o;  // eigenvalues come in increasing order
    int largest = 0;
    for (int a = 1; a < dim; ++a)
      if (std::abs(solver.eigenvectors()(a, col)) > std::abs(solver.eigenvectors()(largest, col)))
        largest = a;
    const double sign = solver.eigenvectors()(largest, col) < 0 ? -1.0 : 1.0;
    for (int a = 0; a < dim; ++a) {
      result.axes[o * dim + a] = sign * solver.eigenvectors()(a, col);
      axes_f[o * dim + a] = static_cast<float>(result.axes[o * dim + a]);
    }
    result.variance[o] = std::max(0.0, solver.eigenvalues()(col));
  }
  result.projection.resize(static_cast<size_t>(n) * out_dim);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), out_dim, dim, 1.0f,
              centred.data(), dim, axes_f.data(), dim, 0.0f, result.projection.data(), out_dim);
  return result;
}

}  // namespace attnviz
