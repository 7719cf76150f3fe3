// Our preprocessing of the fixture images against the pixel_values Hugging Face's ViTImageProcessor produced.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/safetensors.hpp"
#include "image/image.hpp"

namespace attnviz {
namespace {

const std::filesystem::path kSource = ATTNVIZ_SOURCE_DIR;

std::vector<float> reference_pixels(const std::string& fixture, int sequence) {
  const auto file = SafetensorsFile::open(kSource / "tests/fixtures" / fixture / "reference.safetensors");
  return file->at("s" + std::to_string(sequence) + ".pixel_values").to_f32();
}

// The largest absolute difference, and how many values differ by more than one 8-bit level.
struct Difference {
  float max = 0.0f;
  int beyond_one_level = 0;
};

Difference compare(const std::vector<float>& ours, const std::vector<float>& reference, float level) {
  EXPECT_EQ(ours.size(), reference.size());
  Difference d;
  for (size_t i = 0; i < std::min(ours.size(), reference.size()); ++i) {
    const float diff = std::abs(ours[i] - reference[i]);
    d.max = std::max(d.max, diff);
    if (diff > level * 1.01f) ++d.beyond_one_level;
  }
  return d;
}

TEST(VitPreprocessing, ImageOfModelSizeMatchesExactly) {
  const std::filesystem::path dir = kSource / "tests/fixtures/hf/vit";
  const PreprocessConfig config = load_preprocess_config(dir / "model");
  const Image image = decode_image(dir / "image0.png");
  ASSERT_EQ(image.width, 32);
  const Difference d = compare(preprocess_image(image, config, 3), reference_pixels("hf/vit", 0), 2.0f / 255);
  EXPECT_LE(d.max, 1e-6f);
}

TEST(VitPreprocessing, ResizedImageMatchesTransformers) {
  // image1 (67×37) is resized to 32×32 by the processor (antialiased bilinear on 8-bit pixels, see
  // image/resample.hpp). With PyTorch's fixed point we reproduce it exactly; Pillow's own fixed point would
  // differ by one 8-bit level (2/255 after normalising) in 8 of the 3072 values, the documented tolerance.
  const std::filesystem::path dir = kSource / "tests/fixtures/hf/vit";
  const PreprocessConfig config = load_preprocess_config(dir / "model");
  const Image image = decode_image(dir / "image1.png");
  ASSERT_EQ(image.width, 67);
  ASSERT_EQ(image.height, 37);
  const Difference d = compare(preprocess_image(image, config, 3), reference_pixels("hf/vit", 1), 2.0f / 255);
  EXPECT_EQ(d.beyond_one_level, 0);
  EXPECT_LE(d.max, 1e-6f);
}

TEST(VitPreprocessing, MnistDigitsMatchDemoReferences) {
  const std::filesystem::path dir = kSource / "models/mnist-vit";
  const PreprocessConfig config = load_preprocess_config(dir);
  const char* names[] = {"digit0_label0.png", "digit1_label1.png", "digit2_label4.png"};
  for (int i = 0; i < 3; ++i) {
    const Difference d = compare(preprocess_image(decode_image(dir / names[i]), config, 1),
                                 reference_pixels("demo/mnist-vit", i), 0);
    EXPECT_LE(d.max, 1e-6f) << names[i];
  }
}

}  // namespace
}  // namespace attnviz
