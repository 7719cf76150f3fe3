#include "layout/tsne_field.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <mutex>

#include "core/error.hpp"

namespace attnviz {

namespace {

// Grid spacing wanted, in embedding units (K's width is 1), and the most nodes per dimension allowed (2D,
// 3D): a wider layout gets a coarser grid. 256^2 and 64^3 nodes convolve in tens of milliseconds.
constexpr double kFieldSpacing = 0.5;
constexpr int kFieldNodes[2] = {256, 64};
// Beyond the points' bounding box, so that points reading the field near the box's edge stay inside it.
constexpr double kFieldMargin = 4.0;

// FFTW's planner is not thread-safe (execution is); heads are placed in parallel.
std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};

// A real array on the padded grid [P^dim] and its spectrum [P^(dim-1) x (P/2+1)], with their plans.
class PaddedGrid {
 public:
  PaddedGrid(int dim, int padded) : dim_(dim), padded_(padded) {
    real_size_ = 1;
    for (int c = 0; c < dim; ++c) real_size_ *= padded;
    spectrum_size_ = real_size_ / padded * (padded / 2 + 1);
    real_.reset(static_cast<float*>(fftwf_malloc(sizeof(float) * real_size_)));
    spectrum_.reset(static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * spectrum_size_)));
    if (!real_ || !spectrum_) throw Error("placement: out of memory for the repulsion grid");
    const int n[3] = {padded, padded, padded};
    std::lock_guard lock(planner_mutex());
    forward_ = fftwf_plan_dft_r2c(dim, n, real_.get(), spectrum_.get(), FFTW_ESTIMATE);
    backward_ = fftwf_plan_dft_c2r(dim, n, spectrum_.get(), real_.get(), FFTW_ESTIMATE);
  }
  ~PaddedGrid() {
    std::lock_guard lock(planner_mutex());
    fftwf_destroy_plan(forward_);
    fftwf_destroy_plan(backward_);
  }
  PaddedGrid(const PaddedGrid&) = delete;
  PaddedGrid& operator=(const PaddedGrid&) = delete;

  float* real() { return real_.get(); }
  std::vector<std::complex<float>> forward() {
    fftwf_execute(forward_);
    const auto* s = reinterpret_cast<const std::complex<float>*>(spectrum_.get());
    return {s, s + spectrum_size_};
  }
  // real = inverse(a * b) / P^dim.
  void backward_product(const std::vector<std::complex<float>>& a,
                        const std::vector<std::complex<float>>& b) {
    auto* s = reinterpret_cast<std::complex<float>*>(spectrum_.get());
    const float norm = 1.0f / static_cast<float>(real_size_);
    for (int64_t j = 0; j < spectrum_size_; ++j) s[j] = a[j] * b[j] * norm;
    fftwf_execute(backward_);
  }
  int64_t size() const { return real_size_; }
  int padded() const { return padded_; }
  int dim() const { return dim_; }

 private:
  int dim_, padded_;
  int64_t real_size_, spectrum_size_;
  std::unique_ptr<float, FftwFree> real_;
  std::unique_ptr<fftwf_complex, FftwFree> spectrum_;
  fftwf_plan forward_ = nullptr, backward_ = nullptr;
};

// The multilinear weights of y in the grid: per dimension its lower node and the weight of the upper one.
struct Cell {
  int64_t node[3];
  double upper[3];
};

Cell cell_of(const float* y, int dim, const double* origin, double spacing, int nodes) {
  Cell cell{};
  for (int c = 0; c < dim; ++c) {
    const double u = std::clamp((y[c] - origin[c]) / spacing, 0.0, double(nodes - 1));
    cell.node[c] = std::min<int64_t>(static_cast<int64_t>(u), nodes - 2);
    cell.upper[c] = u - double(cell.node[c]);
  }
  return cell;
}

// Calls visit(flat node index in a grid `width` wide, weight) for the 2^dim corners of the cell.
template <class Visit>
void corners(const Cell& cell, int dim, int64_t width, Visit visit) {
  for (int corner = 0; corner < (1 << dim); ++corner) {
    int64_t index = 0;
    double weight = 1;
    for (int c = 0; c < dim; ++c) {
      const int up = (corner >> c) & 1;
      index = index * width + cell.node[c] + up;
      weight *= up ? cell.upper[c] : 1.0 - cell.upper[c];
    }
    visit(index, weight);
  }
}

}  // namespace

TsneField::TsneField(const float* embedding, int64_t n, int dim) : dim_(dim), count_(n) {
  if (dim != 2 && dim != 3) throw Error("placement: the layout must be 2D or 3D");
  if (n < 1) throw Error("placement: the layout has no points");
  // 1. The grid: the bounding box plus the margin, at kFieldSpacing or coarser.
  double low[3], high[3];
  for (int c = 0; c < dim; ++c) {
    low[c] = high[c] = embedding[c];
    for (int64_t i = 0; i < n; ++i) {
      low[c] = std::min(low[c], double(embedding[i * dim + c]));
      high[c] = std::max(high[c], double(embedding[i * dim + c]));
    }
  }
  double span = 0;
  for (int c = 0; c < dim; ++c) span = std::max(span, high[c] - low[c] + 2 * kFieldMargin);
  nodes_ = std::clamp(static_cast<int>(std::ceil(span / kFieldSpacing)) + 1, 4, kFieldNodes[dim - 2]);
  spacing_ = span / (nodes_ - 1);
  for (int c = 0; c < dim; ++c) origin_[c] = (low[c] + high[c]) / 2 - span / 2;
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < dim; ++c) centre_[c] += embedding[i * dim + c] / double(n);
  // 2. Unit charges spread onto the nodes, on a grid padded to 2 x nodes so the convolution does not wrap.
  PaddedGrid grid(dim, 2 * nodes_);
  const int64_t padded = grid.padded();
  std::fill_n(grid.real(), grid.size(), 0.0f);
  for (int64_t i = 0; i < n; ++i)
    corners(cell_of(embedding + i * dim, dim, origin_, spacing_, nodes_), dim, padded,
            [&](int64_t node, double w) { grid.real()[node] += static_cast<float>(w); });
  const auto charges = grid.forward();
  // 3. Each kernel on the padded grid at node offsets o (stored at o mod P), its spectrum, the product with
  //    the charges' spectrum, back to the nodes: field(a) = sum_b charge(b) kernel(a - b).
  values_.assign(static_cast<size_t>(std::pow(nodes_, dim)) * (1 + dim), 0.0f);
  for (int field = 0; field <= dim; ++field) {
    float* real = grid.real();
    for (int64_t j = 0; j < grid.size(); ++j) {
      double r[3], d2 = 0;
      int64_t rest = j;
      for (int c = dim - 1; c >= 0; --c) {
        const int64_t o = rest % padded;
        rest /= padded;
        r[c] = double(o < padded / 2 ? o : o - padded) * spacing_;  // y - y_j, y_j a charge o nodes away
        d2 += r[c] * r[c];
      }
      const double k = 1.0 / (1.0 + d2);
      real[j] = static_cast<float>(field == 0 ? k : k * k * r[field - 1]);
    }
    grid.backward_product(charges, grid.forward());
    int64_t at = 0;
    for (int64_t j = 0; j < grid.size(); ++j) {
      bool inside = true;
      int64_t rest = j;
      for (int c = 0; c < dim; ++c, rest /= padded) inside = inside && rest % padded < nodes_;
      if (inside) values_[static_cast<size_t>(at++) * (1 + dim) + field] = real[j];
    }
  }
}

double TsneField::at(const float* y, double* rep) const {
  double z = 0;
  for (int c = 0; c < dim_; ++c) rep[c] = 0;
  bool inside = true;
  for (int c = 0; c < dim_; ++c)
    inside = inside && y[c] >= origin_[c] && y[c] <= origin_[c] + spacing_ * (nodes_ - 1);
  if (!inside) {  // every point as one charge at their mean
    double r[3], d2 = 0;
    for (int c = 0; c < dim_; ++c) {
      r[c] = y[c] - centre_[c];
      d2 += r[c] * r[c];
    }
    const double k = 1.0 / (1.0 + d2);
    for (int c = 0; c < dim_; ++c) rep[c] = double(count_) * k * k * r[c];
    return double(count_) * k;
  }
  corners(cell_of(y, dim_, origin_, spacing_, nodes_), dim_, nodes_, [&](int64_t node, double w) {
    const float* v = &values_[static_cast<size_t>(node) * (1 + dim_)];
    z += w * v[0];
    for (int c = 0; c < dim_; ++c) rep[c] += w * v[1 + c];
  });
  return z;
}

}  // namespace attnviz
