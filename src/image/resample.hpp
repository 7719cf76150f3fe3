#pragma once
// Image resizing exactly as Pillow's Image.resize does it for 8-bit images (libImaging/Resample.c), because
// Hugging Face image processors resize through Pillow: a separable convolution, horizontal pass first, whose
// filter support widens with the downscaling factor (antialiasing), with coefficients in fixed point and each
// pass rounded back to 8 bits.
#include <cstdint>
#include <vector>

namespace attnviz {

// Pillow's resampling filter codes (Image.Resampling).
enum class ResampleFilter { Bilinear = 2, Bicubic = 3 };

// pixels: row-major, `channels` interleaved bytes per pixel. Returns [out_height, out_width, channels].
std::vector<uint8_t> resample_image(const std::vector<uint8_t>& pixels, int width, int height, int channels,
                                    int out_width, int out_height, ResampleFilter filter);

}  // namespace attnviz
