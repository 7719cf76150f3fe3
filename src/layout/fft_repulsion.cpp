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

// The p Lagrange weights of a position x in node units (nodes at 0..p-1): prod_{s != t} (x - s) / (t - s),
// one division by the product of the integers t - s (for p <= 3 a power of two: exactly the product of the
// quotients).
void lagrange_weights(double x, int p, float* out) {
  for (int t = 0; t < p; ++t) {
    double numerator = 1;
    int64_t denominator = 1;
    for (int s = 0; s < p; ++s)
      if (s != t) {
        numerator *= x - s;
        denominator *= t - s;
      }
    out[t] = static_cast<float>(numerator / double(denominator));
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

}  // namespace

// Buffers and plans for one grid size. The charges and each potential live on the unpadded grid (M per
// dimension, the last dimension padded to P >= 2M for the real-to-complex transform). A linear convolution
// needs the grid zero-padded to P in every dimension, but most of that padding is zero, so the transform runs
// one dimension at a time and skips the lines that are all zero (forward) or not needed (backward): about
// half the work of a full multidimensional transform. The kernels' spectra come from one octant of the grid
// (offsets 0..P/2 per dimension, 1..P/2-1 along an odd kernel's dimension), again only when the grid spacing
// changes.
struct FftRepulsion::Plans {
  int m = 0, padded = 0, half = 0;  // nodes per dimension (boxes x interpolation points), P, P / 2 + 1
  int64_t real_size = 0;            // per grid: M^(dim-1) x P
  int64_t spectrum_size = 0;        // per grid: P^(dim-1) x (P / 2 + 1)
  int64_t real_stride = 0, spectrum_stride = 0;  // distance between consecutive grids' arrays
  float* real = nullptr;                         // [1 + D, real_stride]: the charges, then R's potentials
  fftwf_complex* spectrum = nullptr;             // [1 + D, spectrum_stride]
  int64_t octant_size = 0;                       // (P / 2 + 1)^dim
  float* kernel = nullptr;                       // a kernel on the octant: octant_size
  float* kernel_spectrum = nullptr;              // its cosine / sine transform

  // Spectra on the charges' layout, divided by P^dim: K's (real), and per component c of H the imaginary
  // part of its (imaginary) spectrum.
  std::vector<float> spectrum_z;
  std::vector<std::vector<float>> spectrum_force;
  double kernel_box = 0;  // box width the kernels were made for
  double self = 0;        // mean_self_potential at that spacing
  // Forward: last dimension real-to-complex on the M^(dim-1) lines holding charges, then (3D) the middle
  // dimension on the first M planes, then the first dimension everywhere. Backward in reverse order.
  fftwf_plan last_forward = nullptr, middle_forward = nullptr, first_forward = nullptr;
  fftwf_plan first_backward = nullptr, middle_backward = nullptr, last_backward = nullptr;
  // The octant's transforms: all cosine (K), and sine along the last dimension (H's last component; the
  // others are it turned).
  fftwf_plan even_kernel = nullptr, odd_kernel = nullptr;

  float* real_at(int grid) { return real + grid * real_stride; }
  fftwf_complex* spectrum_at(int grid) { return spectrum + grid * spectrum_stride; }

  ~Plans() {
    std::lock_guard lock(planner_mutex());
    for (fftwf_plan plan : {last_forward, middle_forward, first_forward, first_backward, middle_backward,
                            last_backward, even_kernel, odd_kernel})
      if (plan) fftwf_destroy_plan(plan);
    fftwf_free(real);
    fftwf_free(spectrum);
    fftwf_free(kernel);
    fftwf_free(kernel_spectrum);
  }
};

// The octant's extent per dimension for a kernel odd along `odd` (-1: even in every dimension): offsets
// 0..P/2, and 1..P/2-1 along the odd dimension (an odd kernel is 0 at 0 and P/2).
std::vector<int> octant_extent(int dim, int half, int odd) {
  std::vector<int> extent(static_cast<size_t>(dim), half);
  if (odd >= 0) extent[odd] = half - 2;
  return extent;
}

FftRepulsion::FftRepulsion(int dim, RepulsionOptions options) : dim_(dim), options_(options) {
  if (dim != 2 && dim != 3) throw Error("FFT repulsion supports 2 or 3 dimensions");
}

FftRepulsion::~FftRepulsion() = default;

FftRepulsion::Plans& FftRepulsion::plans_for(int padded) {
  auto& slot = plans_[padded];
  if (slot) return *slot;
  auto plans = std::make_unique<Plans>();
  const int p = options_.interpolation_points;
  const int grids = dim_ + 1, m = padded / (2 * p) * p, half = padded / 2 + 1;
  plans->m = m;
  plans->padded = padded;
  plans->half = half;
  plans->real_size = power(m, dim_ - 1) * padded;
  plans->spectrum_size = power(padded, dim_ - 1) * half;
  plans->real_stride = (plans->real_size + 15) / 16 * 16;
  plans->spectrum_stride = (plans->spectrum_size + 7) / 8 * 8;
  plans->real = fftwf_alloc_real(static_cast<size_t>(grids * plans->real_stride));
  plans->spectrum = fftwf_alloc_complex(static_cast<size_t>(grids * plans->spectrum_stride));
  plans->octant_size = power(half, dim_);
  plans->kernel = fftwf_alloc_real(static_cast<size_t>(plans->octant_size));
  plans->kernel_spectrum = fftwf_alloc_real(static_cast<size_t>(plans->octant_size));
  if (!plans->real || !plans->spectrum || !plans->kernel || !plans->kernel_spectrum)
    throw Error("t-SNE: out of memory for the FFT grid");
  plans->spectrum_z.resize(static_cast<size_t>(plans->spectrum_size));
  plans->spectrum_force.assign(static_cast<size_t>(dim_), std::vector<float>(plans->spectrum_size));

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
  for (const int odd : {-1, dim_ - 1}) {
    const std::vector<int> extent = octant_extent(dim_, half, odd);
    fftwf_r2r_kind kinds[3];
    for (int d = 0; d < dim_; ++d) kinds[d] = d == odd ? FFTW_RODFT00 : FFTW_REDFT00;
    (odd < 0 ? plans->even_kernel : plans->odd_kernel) =
        fftwf_plan_r2r(dim_, extent.data(), plans->kernel, plans->kernel_spectrum, kinds, flags);
  }
  for (fftwf_plan plan : {plans->last_forward, plans->last_backward, plans->first_forward,
                          plans->first_backward, plans->even_kernel, plans->odd_kernel})
    if (!plan) throw Error("t-SNE: FFTW planning failed");
  if (dim_ == 3 && (!plans->middle_forward || !plans->middle_backward))
    throw Error("t-SNE: FFTW planning failed");
  slot = std::move(plans);
  return *slot;
}

// K and H's last component at the octant's offsets (the padded grid is their even or odd extension, so the
// product of spectra is a linear convolution); their spectra by cosine and sine transforms (the DFT of an
// even sequence is real, of an odd one imaginary), spread to the layout of the charges' spectra with the
// signs of the odd extension and divided by the grid size (FFTW's transforms are unnormalised); and the mean
// self potential at this spacing. H_c(r) = K(r)^2 r_c is H's last component with dimensions c and last
// swapped, and so is its spectrum on the cubic grid: one sine transform serves every component.
void FftRepulsion::update_kernels(Plans& plans, double spacing) {
  const int half = plans.half, last = dim_ - 1;
  const float norm = 1.0f / static_cast<float>(power(plans.padded, dim_));
  for (const int odd : {-1, last}) {
    const std::vector<int> extent = octant_extent(dim_, half, odd);
    // 1. The kernel on the octant, row by row along the last dimension.
    const int64_t rows = [&] {
      int64_t count = 1;
      for (int d = 0; d < last; ++d) count *= extent[d];
      return count;
    }();
    const int first_offset_last = odd == last ? 1 : 0;
    for (int64_t row = 0; row < rows; ++row) {
      double r2 = 0;
      int64_t rest = row;
      for (int d = last - 1; d >= 0; --d) {
        const double offset = double(rest % extent[d]) * spacing;
        rest /= extent[d];
        r2 += offset * offset;
      }
      float* out = &plans.kernel[row * extent[last]];
      for (int a = 0; a < extent[last]; ++a) {
        const double offset = double(a + first_offset_last) * spacing;
        const double k = 1.0 / (1.0 + r2 + offset * offset);
        out[a] = static_cast<float>(odd < 0 ? k : k * k * offset);
      }
    }
    fftwf_execute_r2r(odd < 0 ? plans.even_kernel : plans.odd_kernel, plans.kernel, plans.kernel_spectrum);
    // 2. Spread to the charges' spectra.
    if (odd < 0) {
      spread_kernel(plans, extent, -1, norm, plans.spectrum_z);
    } else {
      for (int c = 0; c < dim_; ++c) spread_kernel(plans, extent, c, -norm, plans.spectrum_force[c]);
    }
  }
  plans.self = mean_self_potential(options_.interpolation_points, dim_, spacing);
}

// The octant's transform (plans.kernel_spectrum, extents `extent`; odd along its last dimension when `odd` >=
// 0) times `scale`, spread to the charges' spectra [P][P (3D)][P / 2 + 1] as the kernel odd along dimension
// `odd` (-1: none). Frequency f in [0, P) is the octant's min(f, P - f), less one along the odd dimension,
// where frequencies above P/2 take the opposite sign and 0 and P/2 have none; the odd dimension's octant
// index is read along the transform's last dimension, and the last dimension's along `odd`. H's spectrum is
// -i times the sine transform: its imaginary part is stored.
void FftRepulsion::spread_kernel(const Plans& plans, const std::vector<int>& extent, int odd, float scale,
                                 std::vector<float>& out) const {
  const int64_t padded = plans.padded, half = plans.half;
  const int last = dim_ - 1;
  int axis[3] = {0, 1, 2};  // where dimension d's octant index is read in the transform
  if (odd >= 0) std::swap(axis[odd], axis[last]);
  int64_t stride[3];
  stride[last] = 1;
  for (int a = last - 1; a >= 0; --a) stride[a] = stride[a + 1] * extent[a + 1];
  const int64_t step = stride[axis[last]];
  for (int64_t row = 0; row < plans.spectrum_size / half; ++row) {
    int64_t rest = row, offset = 0;
    float sign = scale;
    for (int d = last - 1; d >= 0; --d) {
      const int64_t f = rest % padded;
      rest /= padded;
      int64_t octant = std::min(f, padded - f);
      if (d == odd) {
        if (octant == 0 || 2 * octant == padded) sign = 0;
        if (2 * f > padded) sign = -sign;
        octant = std::max<int64_t>(octant - 1, 0);
      }
      offset += octant * stride[axis[d]];
    }
    const float* in = &plans.kernel_spectrum[offset];
    float* to = &out[row * half];
    if (odd == last) {
      to[0] = to[half - 1] = 0;
      for (int64_t k = 1; k < half - 1; ++k) to[k] = sign * in[(k - 1) * step];
    } else {
      for (int64_t k = 0; k < half; ++k) to[k] = sign * in[k * step];
    }
  }
}

// The charges' grid to its spectrum, and the grid's Z from the spectrum alone (Parseval): sum_f |Q(f)|^2
// K(f). The half spectrum of the real-to-complex transform holds every frequency but 0 and P/2 of the last
// dimension twice (Q(-f) is Q(f)'s conjugate).
double FftRepulsion::transform_charges(Plans& plans) {
  fftwf_complex* c = plans.spectrum_at(0);
  // The lines the real-to-complex transform does not write are the padding's: zero before the other
  // dimensions' transforms (which overwrite them in place). 2D: rows M..P-1; 3D: (a, b) with b >= M below
  // a = M, and every line from a = M on.
  const int64_t m = plans.m, padded = plans.padded, half = plans.half;
  const auto zero = [&](int64_t line, int64_t lines) {
    std::memset(c + line * half, 0, sizeof(fftwf_complex) * static_cast<size_t>(lines * half));
  };
  if (dim_ == 2) {
    zero(m, padded - m);
  } else {
    for (int64_t a = 0; a < m; ++a) zero(a * padded + m, padded - m);
    zero(m * padded, (padded - m) * padded);
  }
  fftwf_execute_dft_r2c(plans.last_forward, plans.real_at(0), c);
  if (plans.middle_forward) fftwf_execute_dft(plans.middle_forward, c, c);
  fftwf_execute_dft(plans.first_forward, c, c);
  const float* kernel = plans.spectrum_z.data();
  double z = 0;
  for (int64_t row = 0; row < plans.spectrum_size; row += half)
    for (int64_t k = 0; k < half; ++k) {
      const double twice = (k == 0 || 2 * k == padded) ? 1.0 : 2.0;
      const int64_t j = row + k;
      z += twice * kernel[j] * (double(c[j][0]) * c[j][0] + double(c[j][1]) * c[j][1]);
    }
  return z;
}

// Component c of R's potential on the grid: the charges' spectrum times H_c's (i s: a real s), backward.
void FftRepulsion::force_potential(Plans& plans, int component) {
  const fftwf_complex* charges = plans.spectrum_at(0);
  fftwf_complex* c = plans.spectrum_at(1 + component);
  const std::vector<float>& s = plans.spectrum_force[component];
  for (int64_t j = 0; j < plans.spectrum_size; ++j) {
    c[j][0] = -charges[j][1] * s[j];
    c[j][1] = charges[j][0] * s[j];
  }
  fftwf_execute_dft(plans.first_backward, c, c);
  if (plans.middle_backward) fftwf_execute_dft(plans.middle_backward, c, c);
  fftwf_execute_dft_c2r(plans.last_backward, c, plans.real_at(1 + component));
}

double FftRepulsion::compute(const float* y, int64_t n, float* rep) {
  const int dim = dim_, p = options_.interpolation_points;
  float lo[3], hi[3];
  for (int c = 0; c < dim; ++c) lo[c] = hi[c] = y[c];
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < dim; ++c) {
      lo[c] = std::min(lo[c], y[i * dim + c]);
      hi[c] = std::max(hi[c], y[i * dim + c]);
    }
  double spread = 1e-3;
  for (int c = 0; c < dim; ++c) spread = std::max(spread, double(hi[c] - lo[c]));
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

  // Spread the unit charges and transform them once; each component of H multiplies their spectrum (a
  // thread per component) and comes back as a potential, interpolated to the points.
  float* charges = plans.real_at(0);
  std::fill(charges, plans.real_at(1), 0.0f);
  for (int64_t i = 0; i < n; ++i) for_nodes(i, [&](int64_t node, float w) { charges[node] += w; });
  const double z = transform_charges(plans);
  parallel_blocks(dim, options_.threads, [&](int64_t first, int64_t last, int) {
    for (int64_t c = first; c < last; ++c) force_potential(plans, static_cast<int>(c));
  });
  parallel_for(n, options_.threads, [&](int64_t i) {
    double phi[3] = {0, 0, 0};
    for_nodes(i, [&](int64_t node, float w) {
      for (int c = 0; c < dim; ++c) phi[c] += double(w) * plans.real_at(1 + c)[node];
    });
    for (int c = 0; c < dim; ++c) rep[i * dim + c] = static_cast<float>(phi[c]);
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
