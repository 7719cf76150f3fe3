// Decoding with stb_image and the preprocessing of Hugging Face's ViTImageProcessor: convert channels,
// resize through Pillow's algorithm, rescale, normalise.
#include "image/image.hpp"

#include <stb_image.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "image/resample.hpp"

namespace attnviz {
namespace {

// Pillow's RGB → L conversion (libImaging/Convert.c, L24): ITU-R 601-2 luma in 16-bit fixed point, rounded.
uint8_t luma(const uint8_t* rgb) {
  return uint8_t((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
}

// The pixels with `channels` channels: gray is replicated to RGB, RGB becomes luma, alpha is dropped
// (as Pillow's convert("RGB") / convert("L") do, without compositing).
std::vector<uint8_t> convert_channels(const Image& image, int channels) {
  const size_t n = size_t(image.width) * image.height;
  std::vector<uint8_t> out(n * channels);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* in = image.pixels.data() + i * image.channels;
    if (channels == 1)
      out[i] = image.channels >= 3 ? luma(in) : in[0];
    else
      for (int c = 0; c < 3; ++c) out[i * 3 + c] = image.channels >= 3 ? in[c] : in[0];
  }
  return out;
}

// A per-channel value of image_mean / image_std: one value for all channels, or one per channel.
float channel_value(const std::vector<float>& values, int channel, int channels, const char* what) {
  if (values.size() == 1) return values[0];
  if (int(values.size()) != channels)
    throw Error(std::string(what) + " has " + std::to_string(values.size()) + " values for an image with " +
                std::to_string(channels) + " channels");
  return values[channel];
}

std::vector<float> float_list(const nlohmann::json& value, const std::filesystem::path& path,
                              const char* key) {
  if (value.is_number()) return {value.get<float>()};
  if (!value.is_array() || value.empty())
    throw Error(path.string() + ": '" + key + "' must be a list of numbers");
  std::vector<float> out;
  for (const auto& v : value) {
    if (!v.is_number()) throw Error(path.string() + ": '" + key + "' must be a list of numbers");
    out.push_back(v.get<float>());
  }
  return out;
}

// Reads an encoded image for stb_image and remembers whether stb asked for bytes past its end.
struct TruncationProbe {
  const uint8_t* data;
  size_t size, at = 0;
  bool ran_out = false;

  static int read(void* user, char* out, int count) {
    auto& probe = *static_cast<TruncationProbe*>(user);
    const size_t taken = std::min(probe.size - probe.at, size_t(count));
    if (taken == 0 && count > 0) probe.ran_out = true;
    std::memcpy(out, probe.data + probe.at, taken);
    probe.at += taken;
    return int(taken);
  }
  static void skip(void* user, int count) {
    auto& probe = *static_cast<TruncationProbe*>(user);
    if (count > 0 && size_t(count) > probe.size - probe.at) probe.ran_out = true;
    probe.at = count < 0 ? probe.at - std::min(probe.at, size_t(-count))
                         : std::min(probe.size, probe.at + size_t(count));
  }
  static int eof(void* user) {
    auto& probe = *static_cast<TruncationProbe*>(user);
    return probe.at >= probe.size;
  }
};

// Why stb_image could not decode these bytes. stb reads zeros past the end of a buffer, so for a file cut in
// its header it reports whatever those zeros break ("1/2/4/8/16-bit only" for a PNG): decoding again through
// callbacks tells whether it asked for bytes past the end.
std::string decode_failure(const uint8_t* data, size_t size) {
  const std::string reason = stbi_failure_reason() ? stbi_failure_reason() : "unknown format";
  TruncationProbe probe{data, size};
  const stbi_io_callbacks callbacks{TruncationProbe::read, TruncationProbe::skip, TruncationProbe::eof};
  int width = 0, height = 0, channels = 0;
  stbi_uc* pixels = stbi_load_from_callbacks(&callbacks, &probe, &width, &height, &channels, 0);
  stbi_image_free(pixels);
  if ((!pixels && probe.ran_out) || reason == "outofdata")  // stb's own word for data that ends too soon
    return "the file is truncated (" + std::to_string(size) + " bytes)";
  return reason;
}

}  // namespace

Image decode_image_memory(const uint8_t* data, size_t size, const std::string& name) {
  if (size > size_t(std::numeric_limits<int>::max()))
    throw Error("cannot decode image " + name + ": too large");
  int width = 0, height = 0, channels = 0;
  if (stbi_info_from_memory(data, int(size), &width, &height, &channels) &&
      int64_t(width) * height > kMaxImagePixels)
    throw Error("cannot decode image " + name + ": " + std::to_string(width) + " x " +
                std::to_string(height) + " pixels, more than " + std::to_string(kMaxImagePixels));
  std::unique_ptr<uint8_t, decltype(&stbi_image_free)> pixels(
      stbi_load_from_memory(data, int(size), &width, &height, &channels, 0), stbi_image_free);
  if (!pixels) throw Error("cannot decode image " + name + ": " + decode_failure(data, size));
  Image image{width, height, channels == 2 ? 1 : channels, {}};
  const size_t n = size_t(width) * height;
  if (channels == 2) {  // gray + alpha: keep the gray
    image.pixels.resize(n);
    for (size_t i = 0; i < n; ++i) image.pixels[i] = pixels.get()[2 * i];
  } else {
    image.pixels.assign(pixels.get(), pixels.get() + n * channels);
  }
  return image;
}

const char* decodable_image_type(std::string_view bytes) {
  static constexpr std::pair<std::string_view, const char*> kSignatures[] = {
      {"\x89PNG\r\n\x1a\n", "image/png"},
      {"\xff\xd8\xff", "image/jpeg"},
      {"GIF87a", "image/gif"},
      {"GIF89a", "image/gif"},
      {"BM", "image/bmp"}};
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  for (const auto& [signature, type] : kSignatures) {
    if (!bytes.starts_with(signature)) continue;
    try {
      decode_image_memory(data, bytes.size(), "");
      return type;
    } catch (const Error&) {
      return nullptr;
    }
  }
  return nullptr;
}

Image decode_image(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  return decode_image_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path.string());
}

PreprocessConfig load_preprocess_config(const std::filesystem::path& model_dir) {
  PreprocessConfig
      config;  // ViTImageProcessor's defaults, used when the folder has no preprocessor_config.json
  const std::filesystem::path path = model_dir / "preprocessor_config.json";
  if (!std::filesystem::exists(path)) return config;
  const nlohmann::json raw = read_json_file(path);
  if (!raw.is_object()) throw Error(path.string() + ": expected a JSON object");
  const auto flag = [&](const char* key, bool& out) {
    if (!raw.contains(key)) return;
    if (!raw[key].is_boolean()) throw Error(path.string() + ": '" + key + "' must be true or false");
    out = raw[key].get<bool>();
  };
  flag("do_resize", config.do_resize);
  flag("do_rescale", config.do_rescale);
  flag("do_normalize", config.do_normalize);
  if (raw.contains("size")) {
    const nlohmann::json& size = raw["size"];
    const auto dimension = [&](const char* key) {
      if (!size[key].is_number_integer() || size[key].get<int>() <= 0)
        throw Error(path.string() + ": 'size." + key + "' must be a positive integer");
      return size[key].get<int>();
    };
    if (size.is_number_integer() && size.get<int>() > 0) {
      config.height = config.width = size.get<int>();
    } else if (size.is_object() && size.contains("height") && size.contains("width")) {
      config.height = dimension("height");
      config.width = dimension("width");
    } else if (size.is_object() && size.contains("shortest_edge")) {
      config.height = config.width = dimension("shortest_edge");  // ViT models take square inputs
    } else {
      throw Error(path.string() + ": 'size' must be {\"height\", \"width\"} or {\"shortest_edge\"}");
    }
  }
  if (raw.contains("resample")) {
    if (!raw["resample"].is_number_integer()) throw Error(path.string() + ": 'resample' must be an integer");
    config.resample = raw["resample"].get<int>();
    if (config.resample != int(ResampleFilter::Bilinear) && config.resample != int(ResampleFilter::Bicubic))
      throw Error(path.string() + ": resample " + std::to_string(config.resample) +
                  " is unsupported (2 = bilinear, 3 = bicubic)");
  }
  if (raw.contains("rescale_factor")) {
    if (!raw["rescale_factor"].is_number())
      throw Error(path.string() + ": 'rescale_factor' must be a number");
    config.rescale_factor = raw["rescale_factor"].get<float>();
  }
  if (raw.contains("image_mean")) config.image_mean = float_list(raw["image_mean"], path, "image_mean");
  if (raw.contains("image_std")) config.image_std = float_list(raw["image_std"], path, "image_std");
  for (float s : config.image_std)
    if (s == 0.0f) throw Error(path.string() + ": 'image_std' must not contain 0");
  return config;
}

std::vector<float> preprocess_image(const Image& image, const PreprocessConfig& config, int num_channels) {
  if (num_channels != 1 && num_channels != 3)
    throw Error("models with " + std::to_string(num_channels) + " image channels are unsupported (1 or 3)");
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != size_t(image.width) * image.height * image.channels)
    throw Error("image has inconsistent size");
  std::vector<uint8_t> pixels = convert_channels(image, num_channels);
  int width = image.width, height = image.height;
  if (config.do_resize) {
    pixels = resample_image(pixels, width, height, num_channels, config.width, config.height,
                            ResampleFilter(config.resample));
    width = config.width;
    height = config.height;
  }
  // Hugging Face rescales in float64 and stores float32, then normalises in float32.
  const size_t plane = size_t(width) * height;
  std::vector<float> out(plane * num_channels);
  for (int c = 0; c < num_channels; ++c) {
    const float mean =
        config.do_normalize ? channel_value(config.image_mean, c, num_channels, "image_mean") : 0.0f;
    const float std =
        config.do_normalize ? channel_value(config.image_std, c, num_channels, "image_std") : 1.0f;
    for (size_t i = 0; i < plane; ++i) {
      float v = pixels[i * num_channels + c];
      if (config.do_rescale) v = float(double(v) * double(config.rescale_factor));
      out[c * plane + i] = config.do_normalize ? (v - mean) / std : v;
    }
  }
  return out;
}

}  // namespace attnviz
