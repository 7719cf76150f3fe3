#include "layout/fft_repulsion.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
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

// The smallest 2^k or 3 x 2^k >= n: FFTW's estimated plans for these are several times faster than for
// other smooth sizes (e.g. 0.16 ms for a pruned 64^3 transform, 0.55 ms for 60^3).
int fast_fft_size(int n) {
  int size = 1;
  while (size < n) size *= 2;
  return size / 4 * 3 >= n ? size / 4 * 3 : size;
}

constexpr double kBoxGrowth = 1.02;

int64_t power(int64_t base, int exponent) {
  int64_t r = 1;
  for (int i = 0; i < exponent; ++i) r *= base;
  return r;
}

}  // namespace

// Buffers and plans for one grid size. Each term's charges live on the unpadded grid (M per dimension,
// the last dimension padded to P >= 2M for the real-to-complex transform); the convolution with K^2 needs
// the grid zero-padded to P in every dimension, but most of that padding is zero, so the transform runs one
// dimension at a time and skips the lines that are all zero (forward) or not needed (backward): about half
// the work of a full multidimensional transform. The kernel is real and even, so its spectrum is real;
// it is transformed again only when the grid spacing changes.
struct FftRepulsion::Plans {
  int m = 0, padded = 0, half = 0;  // nodes per dimension (boxes x interpolation points), P, P / 2 + 1
  int64_t real_size = 0;            // per term: M^(dim-1) x P
  int64_t spectrum_size = 0;        // per term: P^(dim-1) x (P / 2 + 1)
  int64_t real_stride = 0, spectrum_stride = 0;  // distance between consecutive terms' arrays
  float* real = nullptr;                         // [terms, real_stride]
  fftwf_complex* spectrum = nullptr;             // [terms, spectrum_stride]
  float* kernel = nullptr;                       // K^2 on the whole padded grid, P^dim
  fftwf_complex* kernel_spectrum = nullptr;      // its transform, spectrum_size
  std::vector<float> kernel_real;                // real part / P^dim
  double kernel_box = 0;                         // box width the kernel was made for
  // Forward: last dimension real-to-complex on the M^(dim-1) lines holding charges, then (3D) the middle
  // dimension on the first M planes, then the first dimension everywhere. Backward in reverse order.
  fftwf_plan last_forward = nullptr, middle_forward = nullptr, first_forward = nullptr;
  fftwf_plan first_backward = nullptr, middle_backward = nullptr, last_backward = nullptr;
  fftwf_plan kernel_forward = nullptr;

  ~Plans() {
    std::lock_guard lock(planner_mutex());
    for (fftwf_plan plan : {last_forward, middle_forward, first_forward, first_backward, middle_backward,
                            last_backward, kernel_forward})
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

FftRepulsion::Plans& FftRepulsion::plans_for(int boxes, int padded) {
  auto& slot = plans_[boxes];
  if (slot) return *slot;
  auto plans = std::make_unique<Plans>();
  const int terms = dim_ + 2, m = boxes * options_.interpolation_points, half = padded / 2 + 1;
  plans->m = m;
  plans->padded = padded;
  plans->half = half;
  plans->real_size = power(m, dim_ - 1) * padded;
  plans->spectrum_size = power(padded, dim_ - 1) * half;
  plans->real_stride = (plans->real_size + 15) / 16 * 16;
  plans->spectrum_stride = (plans->spectrum_size + 7) / 8 * 8;
  plans->real = fftwf_alloc_real(static_cast<size_t>(terms * plans->real_stride));
  plans->spectrum = fftwf_alloc_complex(static_cast<size_t>(terms * plans->spectrum_stride));
  plans->kernel = fftwf_alloc_real(static_cast<size_t>(power(padded, dim_)));
  plans->kernel_spectrum = fftwf_alloc_complex(static_cast<size_t>(plans->spectrum_size));
  if (!plans->real || !plans->spectrum || !plans->kernel || !plans->kernel_spectrum)
    throw Error("t-SNE: out of memory for the FFT grid");
  plans->kernel_real.resize(static_cast<size_t>(plans->spectrum_size));

  // Strides in elements; the spectrum is [P (first)][P (middle, 3D)][P / 2 + 1 (last)].
  const int plane = dim_ == 3 ? padded * half : half;  // spectrum stride of the first dimension
  const int real_plane = dim_ == 3 ? m * padded : padded;
  float* r = plans->real;
  fftwf_complex* c = plans->spectrum;
  const unsigned flags = FFTW_ESTIMATE;
  const fftwf_iodim line{padded, 1, 1};
  std::lock_guard lock(planner_mutex());
  if (dim_ == 2) {
    const fftwf_iodim rows_in{m, padded, half}, rows_out{m, half, padded};
    plans->last_forward = fftwf_plan_guru_dft_r2c(1, &line, 1, &rows_in, r, c, flags);
    plans->last_backward = fftwf_plan_guru_dft_c2r(1, &line, 1, &rows_out, c, r, flags);
  } else {
    const fftwf_iodim lines_in[2] = {{m, real_plane, plane}, {m, padded, half}};
    const fftwf_iodim lines_out[2] = {{m, plane, real_plane}, {m, half, padded}};
    plans->last_forward = fftwf_plan_guru_dft_r2c(1, &line, 2, lines_in, r, c, flags);
    plans->last_backward = fftwf_plan_guru_dft_c2r(1, &line, 2, lines_out, c, r, flags);
    const fftwf_iodim middle{padded, half, half};
    const fftwf_iodim middle_many[2] = {{m, plane, plane}, {half, 1, 1}};
    plans->middle_forward = fftwf_plan_guru_dft(1, &middle, 2, middle_many, c, c, FFTW_FORWARD, flags);
    plans->middle_backward = fftwf_plan_guru_dft(1, &middle, 2, middle_many, c, c, FFTW_BACKWARD, flags);
  }
  const fftwf_iodim first{padded, plane, plane}, first_many{plane, 1, 1};
  plans->first_forward = fftwf_plan_guru_dft(1, &first, 1, &first_many, c, c, FFTW_FORWARD, flags);
  plans->first_backward = fftwf_plan_guru_dft(1, &first, 1, &first_many, c, c, FFTW_BACKWARD, flags);
  const int sizes[3] = {padded, padded, padded};
  plans->kernel_forward = fftwf_plan_dft_r2c(dim_, sizes, plans->kernel, plans->kernel_spectrum, flags);
  for (fftwf_plan plan : {plans->last_forward, plans->last_backward, plans->first_forward,
                          plans->first_backward, plans->kernel_forward})
    if (!plan) throw Error("t-SNE: FFTW planning failed");
  if (dim_ == 3 && (!plans->middle_forward || !plans->middle_backward))
    throw Error("t-SNE: FFTW planning failed");
  slot = std::move(plans);
  return *slot;
}

// K^2 at every offset of the padded grid, laid out circularly so the product of spectra is a linear
// convolution; its spectrum's real part, divided by the grid size (FFTW's transforms are unnormalised).
void FftRepulsion::update_kernel(Plans& plans, double spacing) {
  const int padded = plans.padded;
  std::vector<double> offset2(static_cast<size_t>(padded));  // squared offset of each node index, in spacings
  for (int64_t a = 0; a < padded; ++a)
    offset2[a] = double(a <= padded / 2 ? a * a : (a - padded) * (a - padded));
  const double scale2 = spacing * spacing;
  const int64_t plane = power(padded, dim_ - 1);
  parallel_for(padded, options_.threads, [&](int64_t a) {
    float* row = plans.kernel + a * plane;
    for (int64_t rest = 0; rest < plane; ++rest) {
      const double r2 = offset2[a] + offset2[rest % padded] + (dim_ == 3 ? offset2[rest / padded] : 0.0);
      const double k = 1.0 / (1.0 + scale2 * r2);
      row[rest] = static_cast<float>(k * k);
    }
  });
  fftwf_execute_dft_r2c(plans.kernel_forward, plans.kernel, plans.kernel_spectrum);
  const float norm = 1.0f / static_cast<float>(power(padded, dim_));
  for (int64_t j = 0; j < plans.spectrum_size; ++j) plans.kernel_real[j] = plans.kernel_spectrum[j][0] * norm;
}

// Convolves one term's charges with K^2: forward transform, product with the kernel's spectrum, backward.
void FftRepulsion::convolve(Plans& plans, int term) {
  float* r = plans.real + term * plans.real_stride;
  fftwf_complex* c = plans.spectrum + term * plans.spectrum_stride;
  std::memset(c, 0, sizeof(fftwf_complex) * static_cast<size_t>(plans.spectrum_size));
  fftwf_execute_dft_r2c(plans.last_forward, r, c);
  if (plans.middle_forward) fftwf_execute_dft(plans.middle_forward, c, c);
  fftwf_execute_dft(plans.first_forward, c, c);
  for (int64_t j = 0; j < plans.spectrum_size; ++j) {
    c[j][0] *= plans.kernel_real[j];
    c[j][1] *= plans.kernel_real[j];
  }
  fftwf_execute_dft(plans.first_backward, c, c);
  if (plans.middle_backward) fftwf_execute_dft(plans.middle_backward, c, c);
  fftwf_execute_dft_c2r(plans.last_backward, c, r);
}

double FftRepulsion::compute(const float* y, int64_t n, float* rep) {
  const int dim = dim_, p = options_.interpolation_points, terms = dim + 2;
  float lo = y[0], hi = y[0];
  for (int64_t i = 0; i < n * dim; ++i) {
    lo = std::min(lo, y[i]);
    hi = std::max(hi, y[i]);
  }
  const double spread = std::max(double(hi - lo), 1e-3);
  const int wanted = std::clamp(static_cast<int>(std::ceil(spread / options_.box_width)), options_.min_boxes,
                                options_.max_boxes);
  // As many boxes as the fast transform size the wanted ones need can hold.
  const int padded = fast_fft_size(2 * wanted * p), boxes = padded / (2 * p);
  Plans& plans = plans_for(boxes, padded);
  const int m = plans.m;
  // The box width rounded up to a power of 1.02, so the kernel's spectrum stays valid while the layout's
  // spread changes by less than 2%.
  const double box =
      std::pow(kBoxGrowth, std::ceil(std::log(spread * (1 + 1e-6) / boxes) / std::log(kBoxGrowth)));
  const double spacing = box / p;
  if (plans.kernel_box != box) {
    update_kernel(plans, spacing);
    plans.kernel_box = box;
  }

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

  // Visits the p^dim grid nodes of point i: fn(index into a term's array, product of weights).
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
            fn((int64_t(b[0] + t0) * m + (b[1] + t1)) * padded + (b[2] + t2),
               w[t0] * w[p + t1] * w[2 * p + t2]);
    }
  };

  // Spread the charges (1, y, |y|^2) and convolve. Each thread owns a range of terms: its sums are
  // race-free and deterministic, and one pass over the points serves all of its terms.
  const int workers = std::min(options_.threads, terms);
  parallel_for(workers, workers, [&](int64_t w) {
    const int first = static_cast<int>(terms * w / workers),
              last = static_cast<int>(terms * (w + 1) / workers);
    std::fill(plans.real + first * plans.real_stride, plans.real + last * plans.real_stride, 0.0f);
    float charge[5];
    for (int64_t i = 0; i < n; ++i) {
      const float* yi = &y[i * dim];
      charge[0] = 1;
      charge[dim + 1] = 0;
      for (int c = 0; c < dim; ++c) {
        charge[1 + c] = yi[c];
        charge[dim + 1] += yi[c] * yi[c];
      }
      for_nodes(i, [&](int64_t node, float weight_product) {
        for (int t = first; t < last; ++t)
          plans.real[t * plans.real_stride + node] += weight_product * charge[t];
      });
    }
    for (int t = first; t < last; ++t) convolve(plans, t);
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
