#include "layout/fft_repulsion.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <mutex>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace attnviz {

namespace {

// FFTW's planner is not thread-safe (execution is); heads are laid out in parallel.
std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

// The smallest m >= n whose prime factors are all <= 7: sizes FFTW transforms fastest.
int smooth_size(int n) {
  for (int m = std::max(n, 1);; ++m) {
    int r = m;
    for (int f : {2, 3, 5, 7})
      while (r % f == 0) r /= f;
    if (r == 1) return m;
  }
}

int64_t power(int64_t base, int exponent) {
  int64_t r = 1;
  for (int i = 0; i < exponent; ++i) r *= base;
  return r;
}

}  // namespace

// Buffers and plans for one grid size: `terms` real arrays of (2M)^dim and the kernel's, each transformed on
// its own so the transforms can run on different threads (FFTW's execute is thread-safe). Arrays start at
// multiples of 64 bytes so every one has the alignment the plans were made for.
struct FftRepulsion::Plans {
  int m = 0;  // grid nodes per dimension (boxes x interpolation points)
  int64_t real_size = 0, complex_size = 0;
  int64_t real_stride = 0, complex_stride = 0;  // distance between consecutive terms' arrays
  float* real = nullptr;                        // [terms, real_stride]: (2M)^dim used
  fftwf_complex* spectrum = nullptr;            // [terms, complex_stride]: (2M)^(dim-1) (M+1) used
  float* kernel = nullptr;                      // [(2M)^dim]
  fftwf_complex* kernel_spectrum = nullptr;
  fftwf_plan forward = nullptr, backward = nullptr;

  ~Plans() {
    std::lock_guard lock(planner_mutex());
    for (fftwf_plan plan : {forward, backward})
      if (plan) fftwf_destroy_plan(plan);
    fftwf_free(real);
    fftwf_free(spectrum);
    fftwf_free(kernel);
    fftwf_free(kernel_spectrum);
  }
};

FftRepulsion::FftRepulsion(int dim, RepulsionOptions options) : dim_(dim), options_(options) {
  if (dim != 2 && dim != 3) throw Error("FFT repulsion supports 2 or 3 dimensions");
}

FftRepulsion::~FftRepulsion() = default;

FftRepulsion::Plans& FftRepulsion::plans_for(int boxes) {
  auto& slot = plans_[boxes];
  if (slot) return *slot;
  auto plans = std::make_unique<Plans>();
  const int terms = dim_ + 2, m = boxes * options_.interpolation_points, padded = 2 * m;
  plans->m = m;
  plans->real_size = power(padded, dim_);
  plans->complex_size = power(padded, dim_ - 1) * (m + 1);
  plans->real_stride = (plans->real_size + 15) / 16 * 16;
  plans->complex_stride = (plans->complex_size + 7) / 8 * 8;
  plans->real = fftwf_alloc_real(static_cast<size_t>(terms * plans->real_stride));
  plans->spectrum = fftwf_alloc_complex(static_cast<size_t>(terms * plans->complex_stride));
  plans->kernel = fftwf_alloc_real(static_cast<size_t>(plans->real_size));
  plans->kernel_spectrum = fftwf_alloc_complex(static_cast<size_t>(plans->complex_size));
  if (!plans->real || !plans->spectrum || !plans->kernel || !plans->kernel_spectrum)
    throw Error("t-SNE: out of memory for the FFT grid");
  const int sizes[3] = {padded, padded, padded};
  std::lock_guard lock(planner_mutex());
  plans->forward = fftwf_plan_dft_r2c(dim_, sizes, plans->real, plans->spectrum, FFTW_ESTIMATE);
  plans->backward = fftwf_plan_dft_c2r(dim_, sizes, plans->spectrum, plans->real, FFTW_ESTIMATE);
  if (!plans->forward || !plans->backward) throw Error("t-SNE: FFTW planning failed");
  slot = std::move(plans);
  return *slot;
}

double FftRepulsion::compute(const float* y, int64_t n, float* rep) {
  const int dim = dim_, p = options_.interpolation_points, terms = dim + 2;
  float lo = y[0], hi = y[0];
  for (int64_t i = 0; i < n * dim; ++i) {
    lo = std::min(lo, y[i]);
    hi = std::max(hi, y[i]);
  }
  const double spread = std::max(double(hi - lo), 1e-3);
  const int wanted = static_cast<int>(std::ceil(spread / options_.box_width));
  const int boxes = smooth_size(std::clamp(wanted, options_.min_boxes, options_.max_boxes));
  Plans& plans = plans_for(boxes);
  const int m = plans.m, padded = 2 * m;
  const double box = spread * (1 + 1e-6) / boxes, spacing = box / p;

  // Per point and dimension: the first grid node of its box and the p Lagrange weights.
  std::vector<int32_t> base(static_cast<size_t>(n * dim));
  std::vector<float> weight(static_cast<size_t>(n * dim * p));
  parallel_for(n, options_.threads, [&](int64_t i) {
    for (int c = 0; c < dim; ++c) {
      const double offset = (y[i * dim + c] - lo) / box;
      const int b = std::min(static_cast<int>(offset), boxes - 1);
      const double x = (offset - b) * p - 0.5;  // position in node units; nodes at 0..p-1
      base[i * dim + c] = b * p;
      for (int t = 0; t < p; ++t) {
        double w = 1;
        for (int s = 0; s < p; ++s)
          if (s != t) w *= (x - s) / (t - s);
        weight[(i * dim + c) * p + t] = static_cast<float>(w);
      }
    }
  });

  // Visits the p^dim grid nodes of point i: fn(index into a padded grid, product of weights).
  auto for_nodes = [&](int64_t i, auto&& fn) {
    const int32_t* b = &base[i * dim];
    const float* w = &weight[i * dim * p];
    if (dim == 2) {
      for (int t0 = 0; t0 < p; ++t0)
        for (int t1 = 0; t1 < p; ++t1) fn(int64_t(b[0] + t0) * padded + (b[1] + t1), w[t0] * w[p + t1]);
    } else {
      for (int t0 = 0; t0 < p; ++t0)
        for (int t1 = 0; t1 < p; ++t1)
          for (int t2 = 0; t2 < p; ++t2)
            fn((int64_t(b[0] + t0) * padded + (b[1] + t1)) * padded + (b[2] + t2),
               w[t0] * w[p + t1] * w[2 * p + t2]);
    }
  };

  // Spread the charges (1, y, |y|^2); one term per thread keeps the sums race-free and deterministic.
  std::fill(plans.real, plans.real + terms * plans.real_stride, 0.0f);
  parallel_for(terms, options_.threads, [&](int64_t term) {
    float* grid = plans.real + term * plans.real_stride;
    for (int64_t i = 0; i < n; ++i) {
      float charge = 1;
      if (term >= 1 && term <= dim) {
        charge = y[i * dim + term - 1];
      } else if (term == dim + 1) {
        charge = 0;
        for (int c = 0; c < dim; ++c) charge += y[i * dim + c] * y[i * dim + c];
      }
      for_nodes(i, [&](int64_t node, float w) { grid[node] += w * charge; });
    }
  });

  // K^2 at every grid offset, laid out circularly so the product of spectra is a linear convolution.
  std::vector<double> offset2(static_cast<size_t>(padded));  // squared offset of each node index, in spacings
  for (int64_t a = 0; a < padded; ++a) offset2[a] = double(a < m ? a * a : (a - padded) * (a - padded));
  const double scale2 = spacing * spacing;
  const int64_t plane = plans.real_size / padded;
  parallel_for(padded, options_.threads, [&](int64_t a) {
    float* row = plans.kernel + a * plane;
    for (int64_t rest = 0; rest < plane; ++rest) {
      const double r2 = offset2[a] + offset2[rest % padded] + (dim == 3 ? offset2[rest / padded] : 0.0);
      const double k = 1.0 / (1.0 + scale2 * r2);
      row[rest] = static_cast<float>(k * k);
    }
  });
  // Forward transforms of the terms and the kernel, then per term: multiply by the kernel's spectrum and
  // transform back.
  parallel_for(terms + 1, options_.threads, [&](int64_t t) {
    if (t == terms)
      fftwf_execute_dft_r2c(plans.forward, plans.kernel, plans.kernel_spectrum);
    else
      fftwf_execute_dft_r2c(plans.forward, plans.real + t * plans.real_stride,
                            plans.spectrum + t * plans.complex_stride);
  });
  const float norm = 1.0f / static_cast<float>(plans.real_size);
  parallel_for(terms, options_.threads, [&](int64_t term) {
    auto* s = reinterpret_cast<std::complex<float>*>(plans.spectrum + term * plans.complex_stride);
    const auto* k = reinterpret_cast<const std::complex<float>*>(plans.kernel_spectrum);
    for (int64_t j = 0; j < plans.complex_size; ++j) s[j] *= k[j] * norm;
    fftwf_execute_dft_c2r(plans.backward, plans.spectrum + term * plans.complex_stride,
                          plans.real + term * plans.real_stride);
  });

  // Interpolate the potentials back and combine them into R_i and the terms of Z.
  std::vector<double> z_part(static_cast<size_t>(n));
  parallel_for(n, options_.threads, [&](int64_t i) {
    double phi[5] = {0, 0, 0, 0, 0};
    for_nodes(i, [&](int64_t node, float w) {
      for (int t = 0; t < terms; ++t) phi[t] += double(w) * plans.real[t * plans.real_stride + node];
    });
    double sq = 0, dot = 0;
    for (int c = 0; c < dim; ++c) {
      const double yc = y[i * dim + c];
      rep[i * dim + c] = static_cast<float>(yc * phi[0] - phi[1 + c]);
      sq += yc * yc;
      dot += yc * phi[1 + c];
    }
    z_part[i] = (1 + sq) * phi[0] - 2 * dot + phi[dim + 1];
  });
  double z = 0;
  for (double v : z_part) z += v;
  return std::max(z - double(n), 1e-12);  // drop the self terms (K_ii = 1)
}

double exact_repulsion(const float* y, int64_t n, int dim, float* rep) {
  double z = 0;
  for (int64_t i = 0; i < n; ++i) {
    double r[3] = {0, 0, 0};
    for (int64_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double d2 = 0;
      for (int c = 0; c < dim; ++c)
        d2 += double(y[i * dim + c] - y[j * dim + c]) * (y[i * dim + c] - y[j * dim + c]);
      const double k = 1 / (1 + d2);
      z += k;
      for (int c = 0; c < dim; ++c) r[c] += k * k * (y[i * dim + c] - y[j * dim + c]);
    }
    for (int c = 0; c < dim; ++c) rep[i * dim + c] = static_cast<float>(r[c]);
  }
  return z;
}

}  // namespace attnviz
