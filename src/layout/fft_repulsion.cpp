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

// The smallest 2^k, 3 x 2^k or 5 x 2^k >= n: FFTW's estimated plans for these are several times faster than
// for other smooth sizes (a pruned 3D transform: 0.17 ms at 64, 0.53 at 80, 0.55 at 60, 1.6 at 96).
int fast_fft_size(int n) {
  int best = 1;
  while (best < n) best *= 2;
  for (const int factor : {3, 5})
    for (int size = factor; size < best; size *= 2)
      if (size >= n) best = size;
  return best;
}

constexpr double kBoxGrowth = 1.02;

int64_t power(int64_t base, int exponent) {
  int64_t r = 1;
  for (int i = 0; i < exponent; ++i) r *= base;
  return r;
}

// The p Lagrange weights of a position x in node units (nodes at 0..p-1).
void lagrange_weights(double x, int p, float* out) {
  for (int t = 0; t < p; ++t) {
    double w = 1;
    for (int s = 0; s < p; ++s)
      if (s != t) w *= (x - s) / (t - s);
    out[t] = static_cast<float>(w);
  }
}

// What a unit charge with these Lagrange weights (p per dimension) sees of itself through the grid:
// sum over node pairs a, b of w_a w_b K(node_a - node_b). Per dimension only the weights' autocorrelation
// at each offset matters, and K depends on the squared offset: p^dim terms. kernel_at: K at squared node
// offsets.
double self_potential(const float* weight, int p, int dim, const std::vector<double>& kernel_at) {
  double auto_correlation[3][8] = {};
  for (int c = 0; c < dim; ++c)
    for (int a = 0; a < p; ++a)
      for (int b = 0; b < p; ++b)
        auto_correlation[c][std::abs(a - b)] += double(weight[c * p + a]) * weight[c * p + b];
  double total = 0;
  for (int d0 = 0; d0 < p; ++d0)
    for (int d1 = 0; d1 < p; ++d1) {
      const double plane = auto_correlation[0][d0] * auto_correlation[1][d1];
      if (dim == 2) {
        total += plane * kernel_at[d0 * d0 + d1 * d1];
        continue;
      }
      for (int d2 = 0; d2 < p; ++d2)
        total += plane * auto_correlation[2][d2] * kernel_at[d0 * d0 + d1 * d1 + d2 * d2];
    }
  return total;
}

// The self potential averaged over positions spread evenly in a box (8 per dimension): Z drops it once per
// point. Points sit anywhere in their boxes, so the average stands for each one's own; at a spacing where it
// matters (a coarse grid) it is ~2 instead of the K_ii = 1 of the exact sum.
double mean_self_potential(int p, int dim, double spacing) {
  std::vector<double> kernel_at(static_cast<size_t>(dim * (p - 1) * (p - 1) + 1));
  for (size_t d2 = 0; d2 < kernel_at.size(); ++d2)
    kernel_at[d2] = 1.0 / (1.0 + spacing * spacing * double(d2));
  constexpr int kSteps = 8;
  std::vector<float> along(static_cast<size_t>(kSteps * p)), weight(static_cast<size_t>(dim * p));
  for (int k = 0; k < kSteps; ++k) lagrange_weights((k + 0.5) * p / kSteps - 0.5, p, &along[k * p]);
  double total = 0;
  int count = 0;
  for (int k0 = 0; k0 < kSteps; ++k0)
    for (int k1 = 0; k1 < kSteps; ++k1)
      for (int k2 = 0; k2 < (dim == 3 ? kSteps : 1); ++k2) {
        const int at[3] = {k0, k1, k2};
        for (int c = 0; c < dim; ++c) std::copy_n(&along[at[c] * p], p, &weight[c * p]);
        total += self_potential(weight.data(), p, dim, kernel_at);
        ++count;
      }
  return total / count;
}

// A complex spectrum times a real one, element by element.
void multiply(fftwf_complex* spectrum, const std::vector<float>& kernel) {
  for (size_t j = 0; j < kernel.size(); ++j) {
    spectrum[j][0] *= kernel[j];
    spectrum[j][1] *= kernel[j];
  }
}

}  // namespace

// Buffers and plans for one grid size. Each potential lives on the unpadded grid (M per dimension, the last
// dimension padded to P >= 2M for the real-to-complex transform): D + 1 charges convolved with K^2. A linear
// convolution needs the grid zero-padded to P in every dimension, but most of that padding is zero, so the
// transform runs one dimension at a time and skips the lines that are all zero (forward) or not needed
// (backward): about half the work of a full multidimensional transform. The kernels are real and even, so
// their spectra are real and even: a DCT-I of one octant of the grid gives them, again only when the grid
// spacing changes.
struct FftRepulsion::Plans {
  int m = 0, padded = 0, half = 0;  // nodes per dimension (boxes x interpolation points), P, P / 2 + 1
  int64_t real_size = 0;            // per potential: M^(dim-1) x P
  int64_t spectrum_size = 0;        // per potential: P^(dim-1) x (P / 2 + 1)
  int64_t real_stride = 0, spectrum_stride = 0;  // distance between consecutive potentials' arrays
  float* real = nullptr;                         // [D + 1, real_stride]
  fftwf_complex* spectrum = nullptr;             // [D + 1, spectrum_stride]
  int64_t octant_size = 0;                       // (P / 2 + 1)^dim
  float* kernel = nullptr;                       // a kernel at offsets 0..P/2 per dimension: octant_size
  float* kernel_spectrum = nullptr;              // its DCT-I: the spectrum at frequencies 0..P/2

  std::vector<float> squared_spectrum, spectrum_z;  // real parts of K^2's and K's spectra, divided by P^dim
  double kernel_box = 0;                            // box width the kernels were made for
  double self = 0;                                  // mean_self_potential at that spacing
  // Forward: last dimension real-to-complex on the M^(dim-1) lines holding charges, then (3D) the middle
  // dimension on the first M planes, then the first dimension everywhere. Backward in reverse order.
  fftwf_plan last_forward = nullptr, middle_forward = nullptr, first_forward = nullptr;
  fftwf_plan first_backward = nullptr, middle_backward = nullptr, last_backward = nullptr;
  fftwf_plan kernel_forward = nullptr;

  float* real_at(int potential) { return real + potential * real_stride; }
  fftwf_complex* spectrum_at(int potential) { return spectrum + potential * spectrum_stride; }

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

FftRepulsion::Plans& FftRepulsion::plans_for(int padded) {
  auto& slot = plans_[padded];
  if (slot) return *slot;
  auto plans = std::make_unique<Plans>();
  const int p = options_.interpolation_points;
  const int potentials = dim_ + 1, m = padded / (2 * p) * p, half = padded / 2 + 1;
  plans->m = m;
  plans->padded = padded;
  plans->half = half;
  plans->real_size = power(m, dim_ - 1) * padded;
  plans->spectrum_size = power(padded, dim_ - 1) * half;
  plans->real_stride = (plans->real_size + 15) / 16 * 16;
  plans->spectrum_stride = (plans->spectrum_size + 7) / 8 * 8;
  plans->real = fftwf_alloc_real(static_cast<size_t>(potentials * plans->real_stride));
  plans->spectrum = fftwf_alloc_complex(static_cast<size_t>(potentials * plans->spectrum_stride));
  plans->octant_size = power(half, dim_);
  plans->kernel = fftwf_alloc_real(static_cast<size_t>(plans->octant_size));
  plans->kernel_spectrum = fftwf_alloc_real(static_cast<size_t>(plans->octant_size));
  if (!plans->real || !plans->spectrum || !plans->kernel || !plans->kernel_spectrum)
    throw Error("t-SNE: out of memory for the FFT grid");
  plans->squared_spectrum.resize(static_cast<size_t>(plans->spectrum_size));
  plans->spectrum_z.resize(static_cast<size_t>(plans->spectrum_size));

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
  const int sizes[3] = {half, half, half};
  const fftwf_r2r_kind kinds[3] = {FFTW_REDFT00, FFTW_REDFT00, FFTW_REDFT00};
  plans->kernel_forward = fftwf_plan_r2r(dim_, sizes, plans->kernel, plans->kernel_spectrum, kinds, flags);
  for (fftwf_plan plan : {plans->last_forward, plans->last_backward, plans->first_forward,
                          plans->first_backward, plans->kernel_forward})
    if (!plan) throw Error("t-SNE: FFTW planning failed");
  if (dim_ == 3 && (!plans->middle_forward || !plans->middle_backward))
    throw Error("t-SNE: FFTW planning failed");
  slot = std::move(plans);
  return *slot;
}

// K^2 and K at offsets 0..P/2 per dimension (the padded grid is their even extension, so the product of
// spectra is a linear convolution); their spectra by DCT-I (the DFT of an even sequence), spread to the
// layout of the charges' spectra and divided by the grid size (FFTW's transforms are unnormalised); and the
// mean self potential at this spacing.
void FftRepulsion::update_kernels(Plans& plans, double spacing) {
  const int padded = plans.padded, half = plans.half;
  const double scale2 = spacing * spacing;
  const float norm = 1.0f / static_cast<float>(power(padded, dim_));
  const int64_t plane = power(half, dim_ - 1);
  // Frequency index in [0, P) to its octant index: the spectrum is even.
  auto fold = [&](int64_t k) { return k <= padded / 2 ? k : padded - k; };
  for (const int exponent : {2, 1}) {
    for (int64_t a = 0; a < half; ++a)
      for (int64_t rest = 0; rest < plane; ++rest) {
        const double r2 = double(a * a) + double((rest % half) * (rest % half)) +
                          (dim_ == 3 ? double((rest / half) * (rest / half)) : 0.0);
        const double k = 1.0 / (1.0 + scale2 * r2);
        plans.kernel[a * plane + rest] = static_cast<float>(exponent == 2 ? k * k : k);
      }
    fftwf_execute_r2r(plans.kernel_forward, plans.kernel, plans.kernel_spectrum);
    std::vector<float>& out = exponent == 2 ? plans.squared_spectrum : plans.spectrum_z;
    // The charges' spectra are [P][P (3D)][P / 2 + 1]; the octant is [P/2 + 1]^dim.
    const int64_t rows = plans.spectrum_size / half;
    for (int64_t row = 0; row < rows; ++row) {
      const int64_t octant_row = dim_ == 3 ? fold(row / padded) * half + fold(row % padded) : fold(row);
      for (int64_t k = 0; k < half; ++k)
        out[row * half + k] = plans.kernel_spectrum[octant_row * half + k] * norm;
    }
  }
  plans.self = mean_self_potential(options_.interpolation_points, dim_, spacing);
}

// Convolves one charge's grid with K^2: forward transform, product with the kernel's spectrum, backward.
// For the first charge (1 at every point) it also returns sum over nodes of q (K * q), the grid's Z, from the
// spectrum alone (Parseval): sum_f |Q(f)|^2 K(f). The half spectrum of the real-to-complex transform holds
// every frequency but 0 and P/2 of the last dimension twice (Q(-f) is Q(f)'s conjugate).
double FftRepulsion::convolve(Plans& plans, int charge) {
  fftwf_complex* c = plans.spectrum_at(charge);
  std::memset(c, 0, sizeof(fftwf_complex) * static_cast<size_t>(plans.spectrum_size));
  fftwf_execute_dft_r2c(plans.last_forward, plans.real_at(charge), c);
  if (plans.middle_forward) fftwf_execute_dft(plans.middle_forward, c, c);
  fftwf_execute_dft(plans.first_forward, c, c);
  double z = 0;
  if (charge == 0) {
    const int half = plans.half;
    for (int64_t j = 0; j < plans.spectrum_size; ++j) {
      const int64_t k = j % half;
      const double twice = (k == 0 || 2 * k == plans.padded) ? 1.0 : 2.0;
      z += twice * plans.spectrum_z[j] * (double(c[j][0]) * c[j][0] + double(c[j][1]) * c[j][1]);
    }
  }
  multiply(c, plans.squared_spectrum);
  fftwf_execute_dft(plans.first_backward, c, c);
  if (plans.middle_backward) fftwf_execute_dft(plans.middle_backward, c, c);
  fftwf_execute_dft_c2r(plans.last_backward, c, plans.real_at(charge));
  return z;
}

double FftRepulsion::compute(const float* y, int64_t n, float* rep) {
  const int dim = dim_, p = options_.interpolation_points, charges = dim + 1;
  float lo[3], hi[3];
  for (int c = 0; c < dim; ++c) lo[c] = hi[c] = y[c];
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < dim; ++c) {
      lo[c] = std::min(lo[c], y[i * dim + c]);
      hi[c] = std::max(hi[c], y[i * dim + c]);
    }
  double spread = 1e-3, centre[3];
  for (int c = 0; c < dim; ++c) {
    spread = std::max(spread, double(hi[c] - lo[c]));
    centre[c] = 0.5 * (double(lo[c]) + hi[c]);
  }
  if (!std::isfinite(spread)) throw Error("t-SNE diverged (the layout is no longer finite)");
  const int wanted = std::clamp(static_cast<int>(std::ceil(spread / options_.box_width)), options_.min_boxes,
                                options_.max_boxes);
  // As many boxes as the fast transform size the wanted ones need can hold.
  Plans& plans = plans_for(fast_fft_size(2 * wanted * p));
  const int m = plans.m, padded = plans.padded, boxes = m / p;
  // The box width rounded up to a power of 1.02, so the kernels' spectra stay valid while the layout's
  // spread changes by less than 2%.
  const double box =
      std::pow(kBoxGrowth, std::ceil(std::log(spread * (1 + 1e-6) / boxes) / std::log(kBoxGrowth)));
  if (plans.kernel_box != box) {
    update_kernels(plans, box / p);
    plans.kernel_box = box;
  }

  // Per point and dimension: the first grid node of its box and the p Lagrange weights.
  std::vector<int32_t>& base = base_;
  std::vector<float>& weight = weight_;
  base.resize(static_cast<size_t>(n * dim));
  weight.resize(static_cast<size_t>(n * dim * p));
  parallel_for(n, options_.threads, [&](int64_t i) {
    for (int c = 0; c < dim; ++c) {
      const double offset = (y[i * dim + c] - lo[c]) / box;
      const int b = std::min(static_cast<int>(offset), boxes - 1);
      base[i * dim + c] = b * p;
      lagrange_weights((offset - b) * p - 0.5, p, &weight[(i * dim + c) * p]);
    }
  });

  // Visits the p^dim grid nodes of point i: fn(index into a potential's array, product of weights).
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

  // Spread the charges (1, y - centre) and convolve. Each thread owns a range of charges: its sums are
  // race-free and deterministic, and one pass over the points serves all of its charges.
  double z = 0;  // from the first charge, by its thread
  parallel_blocks(charges, options_.threads, [&](int64_t first, int64_t last, int) {
    std::fill(plans.real_at(first), plans.real_at(last), 0.0f);
    float charge[4] = {1, 0, 0, 0};
    for (int64_t i = 0; i < n; ++i) {
      for (int c = 0; c < dim; ++c) charge[1 + c] = static_cast<float>(y[i * dim + c] - centre[c]);
      for_nodes(i, [&](int64_t node, float weight_product) {
        for (int t = first; t < last; ++t) plans.real_at(t)[node] += weight_product * charge[t];
      });
    }
    for (int t = first; t < last; ++t) {
      const double part = convolve(plans, t);
      if (t == 0) z = part;
    }
  });

  // Interpolate the potentials back to R_i.
  parallel_for(n, options_.threads, [&](int64_t i) {
    double phi[4] = {0, 0, 0, 0};
    for_nodes(i, [&](int64_t node, float w) {
      for (int t = 0; t < charges; ++t) phi[t] += double(w) * plans.real_at(t)[node];
    });
    for (int c = 0; c < dim; ++c)
      rep[i * dim + c] = static_cast<float>((y[i * dim + c] - centre[c]) * phi[0] - phi[1 + c]);
  });
  // Drop each point's own charge; no layout within this spread has a smaller Z than the floor.
  const double floor = double(n) * double(n - 1) / (1.0 + dim * spread * spread);
  return std::max(z - double(n) * plans.self, floor);
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
