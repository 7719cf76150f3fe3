#pragma once
// Image resizing as Hugging Face image processors do it on 8-bit images. transformers 5 resizes through
// torchvision (uint8 tensors, antialias=True), whose kernel is Pillow's Image.resize algorithm
// (libImaging/Resample.c): a separable convolution, horizontal pass first, whose filter support widens with
// the downscaling factor (antialiasing), each pass rounded back to 8 bits. The two differ only in the fixed
// point of the weights: Pillow uses 22 fractional bits, PyTorch int16 weights with as many fractional bits as
// fit. We follow PyTorch (tests/fixtures/hf/vit reproduces exactly); Pillow's output differs from it by at
// most one level in a few pixels.
#include <cstdint>
#include <vector>

namespace attnviz {

// Pillow's resampling filter codes (Image.Resampling).
enum class ResampleFilter { Bilinear = 2, Bicubic = 3 };

// pixels: row-major, `channels` interleaved bytes per pixel. Returns [out_height, out_width, channels].
std::vector<uint8_t> resample_image(const std::vector<uint8_t>& pixels, int width, int height, int channels,
                                    int out_width, int out_height, ResampleFilter filter);

}  // namespace attnviz
