#include "image/resample.hpp"

#include <algorithm>
#include <cmath>

namespace attnviz {
namespace {

double bilinear(double x) {
  x = std::abs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

// For each output pixel along one axis: the first input pixel it reads, how many, and their fixed-point
// weights (Pillow's precompute_coeffs; the conversion to fixed point is PyTorch's).
struct Coefficients {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // [out_size, ksize], in units of 2^-precision
  int precision = 0;
};

Coefficients precompute(int in_size, int out_size, ResampleFilter filter) {
  const double filter_support = filter == ResampleFilter::Bicubic ? 2.0 : 1.0;
  const double scale = double(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = filter_support * filterscale;
  Coefficients c;
  c.ksize = int(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(size_t(out_size) * c.ksize, 0);
  std::vector<double> weights(c.weights.size(), 0.0);  // normalised, before fixed point
  double max_weight = 0.0;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = int(center - support + 0.5);  // truncation toward zero, as Pillow's (int) cast
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double* k = weights.data() + size_t(xx) * c.ksize;
    double total = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double arg = (x + xmin - center + 0.5) / filterscale;
      k[x] = filter == ResampleFilter::Bicubic ? bicubic(arg) : bilinear(arg);
      total += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      if (total != 0.0) k[x] /= total;
      max_weight = std::max(max_weight, k[x]);
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  // The largest precision at which every weight still fits in an int16 (PyTorch's rule).
  for (c.precision = 0; c.precision < 22; ++c.precision)
    if (int(0.5 + max_weight * (1 << (c.precision + 1))) >= (1 << 15)) break;
  for (size_t i = 0; i < c.weights.size(); ++i) {
    const double v = weights[i] * (1 << c.precision);
    c.weights[i] = int32_t(v < 0 ? -0.5 + v : 0.5 + v);
  }
  return c;
}

// A fixed-point sum back to 8 bits, saturating.
uint8_t clip8(int32_t v, int precision) {
  if (v >= (1 << precision << 8)) return 255;
  if (v <= 0) return 0;
  return uint8_t(v >> precision);
}

// Resamples along x: in [rows, in_width, channels] → [rows, out_width, channels].
std::vector<uint8_t> horizontal(const std::vector<uint8_t>& in, int in_width, int rows, int channels,
                                const Coefficients& c, int out_width) {
  std::vector<uint8_t> out(size_t(rows) * out_width * channels);
  for (int y = 0; y < rows; ++y)
    for (int xx = 0; xx < out_width; ++xx) {
      const int32_t* k = c.weights.data() + size_t(xx) * c.ksize;
      for (int ch = 0; ch < channels; ++ch) {
        int32_t sum = 1 << (c.precision - 1);
        for (int x = 0; x < c.count[xx]; ++x)
          sum += in[(size_t(y) * in_width + c.first[xx] + x) * channels + ch] * k[x];
        out[(size_t(y) * out_width + xx) * channels + ch] = clip8(sum, c.precision);
      }
    }
  return out;
}

// Resamples along y, reading input rows from `row_offset` on: in [*, width, channels] → [out_height, width,
// ...].
std::vector<uint8_t> vertical(const std::vector<uint8_t>& in, int width, int channels, const Coefficients& c,
                              int out_height, int row_offset) {
  const size_t row = size_t(width) * channels;
  std::vector<uint8_t> out(size_t(out_height) * row);
  for (int yy = 0; yy < out_height; ++yy) {
    const int32_t* k = c.weights.data() + size_t(yy) * c.ksize;
    const size_t first = size_t(c.first[yy] - row_offset);
    for (size_t i = 0; i < row; ++i) {
      int32_t sum = 1 << (c.precision - 1);
      for (int y = 0; y < c.count[yy]; ++y) sum += in[(first + y) * row + i] * k[y];
      out[size_t(yy) * row + i] = clip8(sum, c.precision);
    }
  }
  return out;
}

}  // namespace

std::vector<uint8_t> resample_image(const std::vector<uint8_t>& pixels, int width, int height, int channels,
                                    int out_width, int out_height, ResampleFilter filter) {
  if (width == out_width && height == out_height) return pixels;
  const Coefficients cx = precompute(width, out_width, filter);
  const Coefficients cy = precompute(height, out_height, filter);
  if (width == out_width) return vertical(pixels, width, channels, cy, out_height, 0);
  // Like Pillow, the horizontal pass only covers the input rows that the vertical pass will read.
  const int first_row = cy.first.front(), last_row = cy.first.back() + cy.count.back();
  const std::vector<uint8_t> rows(pixels.begin() + size_t(first_row) * width * channels,
                                  pixels.begin() + size_t(last_row) * width * channels);
  std::vector<uint8_t> wide = horizontal(rows, width, last_row - first_row, channels, cx, out_width);
  if (height == out_height) return wide;
  return vertical(wide, out_width, channels, cy, out_height, first_row);
}

}  // namespace attnviz
