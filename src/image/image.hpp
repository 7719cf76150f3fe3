#pragma once
// Image decoding and the preprocessing of Hugging Face's ViTImageProcessor.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz {

struct Image {
  int width = 0, height = 0, channels = 0;  // channels: 1 (gray), 3 (RGB) or 4 (RGBA)
  std::vector<uint8_t> pixels;              // row-major, interleaved
};

// The most pixels an image may have: a decompression bomb (a few kB declaring 60000 × 60000 pixels) is
// refused from its header, before anything is allocated. 2^27 is over 11000 × 11000.
constexpr int64_t kMaxImagePixels = int64_t{1} << 27;

// PNG, JPEG, BMP, GIF (first frame); an Error naming the image when it does not decode or has more than
// kMaxImagePixels pixels.
Image decode_image(const std::filesystem::path& path);
Image decode_image_memory(const uint8_t* data, size_t size, const std::string& name);

// The MIME type of `bytes` when they are a whole image that decodes (PNG, JPEG, BMP or GIF by its signature,
// at most kMaxImagePixels), else nullptr: what may be served as an image.
const char* decodable_image_type(std::string_view bytes);

struct PreprocessConfig {
  bool do_resize = true, do_rescale = true, do_normalize = true;
  int height = 224, width = 224;
  int resample = 2;  // PIL code: 2 = bilinear
  float rescale_factor = 1.0f / 255.0f;
  std::vector<float> image_mean{0.5f, 0.5f, 0.5f}, image_std{0.5f, 0.5f, 0.5f};
};

PreprocessConfig load_preprocess_config(const std::filesystem::path& model_dir);

// Converts to num_channels, resizes, rescales and normalises: float32 [num_channels, height, width].
std::vector<float> preprocess_image(const Image& image, const PreprocessConfig& config, int num_channels);

}  // namespace attnviz
