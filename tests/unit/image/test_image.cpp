// Decoding, channel conversion, resizing against hand-computed values, and preprocessor_config.json.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "image/image.hpp"
#include "image/resample.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace attnviz {
namespace {

using test::error_of;

const std::filesystem::path kSource = ATTNVIZ_SOURCE_DIR;

void write(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Decode, ReadsPngFixtures) {
  const Image rgb = decode_image(kSource / "tests/fixtures/hf/vit/image1.png");
  EXPECT_EQ(rgb.width, 67);
  EXPECT_EQ(rgb.height, 37);
  EXPECT_EQ(rgb.channels, 3);
  EXPECT_EQ(rgb.pixels.size(), 67u * 37 * 3);
  const Image gray = decode_image(kSource / "models/mnist-vit/digit0_label0.png");
  EXPECT_EQ(gray.width, 28);
  EXPECT_EQ(gray.channels, 1);
}

TEST(Decode, UndecodableFileIsAnErrorNamingIt) {
  const auto dir = test::fresh_dir("decode");
  write(dir / "not-an-image.png", "this is text, not a PNG");
  EXPECT_NE(error_of([&] { decode_image(dir / "not-an-image.png"); }).find("not-an-image.png"),
            std::string::npos);
  write(dir / "empty.jpg", "");
  EXPECT_NE(error_of([&] { decode_image(dir / "empty.jpg"); }).find("empty.jpg"), std::string::npos);
  EXPECT_NE(error_of([&] { decode_image(dir / "missing.png"); }).find("missing.png"), std::string::npos);
  // A PNG cut in half.
  std::ifstream in(kSource / "tests/fixtures/hf/vit/image1.png", std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(in)), {});
  const std::string half = png.substr(0, png.size() / 2);
  EXPECT_NE(error_of([&] {
              decode_image_memory(reinterpret_cast<const uint8_t*>(half.data()), half.size(), "cut.png");
            }).find("cut.png"),
            std::string::npos);
}

TEST(Decode, ACutFileSaysItIsTruncated) {
  std::ifstream in(kSource / "tests/fixtures/hf/vit/image1.png", std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(in)), {});
  // Issue 11: cut inside the header, it used to say "1/2/4/8/16-bit only".
  for (size_t size : {size_t{12}, size_t{20}, size_t{30}, png.size() / 2, png.size() - 20}) {
    const std::string cut = png.substr(0, size);
    const std::string message = error_of(
        [&] { decode_image_memory(reinterpret_cast<const uint8_t*>(cut.data()), cut.size(), "cut.png"); });
    EXPECT_EQ(message,
              "cannot decode image cut.png: the file is truncated (" + std::to_string(size) + " bytes)")
        << size;
  }
}

TEST(Decode, AnImageDeclaringTooManyPixelsIsRefusedFromItsHeader) {
  std::ifstream in(kSource / "tests/fixtures/hf/vit/image1.png", std::ios::binary);
  std::string png((std::istreambuf_iterator<char>(in)), {});
  // IHDR's width and height (big-endian, bytes 16-23) set to 16000 x 16000: 256 million pixels (768 MB to
  // decode) from a few kB. (stb refuses sizes over 2^31 bytes itself; this one it would allocate.)
  for (int at : {16, 20}) png.replace(at, 4, std::string("\x00\x00\x3e\x80", 4));
  EXPECT_EQ(error_of([&] {
              decode_image_memory(reinterpret_cast<const uint8_t*>(png.data()), png.size(), "bomb.png");
            }),
            "cannot decode image bomb.png: 16000 x 16000 pixels, more than 134217728");
  EXPECT_EQ(decodable_image_type(png), nullptr);
}

TEST(Decode, OnlyWholeImagesAreServable) {
  std::ifstream in(kSource / "tests/fixtures/hf/vit/image1.png", std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(in)), {});
  EXPECT_STREQ(decodable_image_type(png), "image/png");
  EXPECT_EQ(decodable_image_type(png.substr(0, png.size() / 2)), nullptr);
  EXPECT_EQ(decodable_image_type("root:x:0:0:root:/root:/bin/bash\n"), nullptr);
  EXPECT_EQ(decodable_image_type(""), nullptr);
}

TEST(Resample, DownscaleAveragesUnderAWiderTriangle) {
  // 4 → 2: scale 2, support 2. Output 0 centres at 1.0 and reads pixels 0..2 with weights 3/7, 3/7, 1/7;
  // output 1 centres at 3.0 and reads pixels 1..3 with weights 1/7, 3/7, 3/7.
  const std::vector<uint8_t> row{0, 100, 200, 255};
  const auto out = resample_image(row, 4, 1, 1, 2, 1, ResampleFilter::Bilinear);
  EXPECT_EQ(out, (std::vector<uint8_t>{71, 209}));  // 500/7 = 71.4, 1465/7 = 209.3
}

TEST(Resample, UpscaleInterpolatesLinearly) {
  // 2 → 4: centres at 0.25, 0.75, 1.25, 1.75 in input pixels; edges clamp.
  const std::vector<uint8_t> row{0, 255};
  EXPECT_EQ(resample_image(row, 2, 1, 1, 4, 1, ResampleFilter::Bilinear),
            (std::vector<uint8_t>{0, 64, 191, 255}));
  // The same along y, with 3 interleaved channels.
  const std::vector<uint8_t> column{0, 10, 20, 255, 245, 235};
  EXPECT_EQ(resample_image(column, 1, 2, 3, 1, 4, ResampleFilter::Bilinear),
            (std::vector<uint8_t>{0, 10, 20, 64, 69, 74, 191, 186, 181, 255, 245, 235}));
}

TEST(Resample, SameSizeIsUnchanged) {
  const std::vector<uint8_t> pixels{1, 2, 3, 4, 5, 6};
  EXPECT_EQ(resample_image(pixels, 3, 2, 1, 3, 2, ResampleFilter::Bilinear), pixels);
}

TEST(Preprocess, ConvertsChannelsLikePillow) {
  PreprocessConfig none;
  none.do_resize = none.do_rescale = none.do_normalize = false;
  const Image rgba{3, 1, 4, {255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30}};
  // L = (19595 R + 38470 G + 7471 B + 2^15) >> 16
  EXPECT_EQ(preprocess_image(rgba, none, 1), (std::vector<float>{76, 150, 29}));
  // RGBA → RGB drops alpha; planes are [C, H, W].
  EXPECT_EQ(preprocess_image(rgba, none, 3), (std::vector<float>{255, 0, 0, 0, 255, 0, 0, 0, 255}));
  const Image gray{2, 1, 1, {7, 9}};
  EXPECT_EQ(preprocess_image(gray, none, 3), (std::vector<float>{7, 9, 7, 9, 7, 9}));
}

TEST(Preprocess, RescalesAndNormalisesPerChannel) {
  PreprocessConfig config;
  config.do_resize = false;
  config.image_mean = {0.5f, 0.0f, 1.0f};
  config.image_std = {0.5f, 1.0f, 2.0f};
  const Image image{1, 1, 3, {255, 51, 0}};
  const std::vector<float> out = preprocess_image(image, config, 3);
  EXPECT_FLOAT_EQ(out[0], 1.0f);
  EXPECT_FLOAT_EQ(out[1], 0.2f);
  EXPECT_FLOAT_EQ(out[2], -0.5f);
  config.image_mean = {0.5f, 0.5f};
  EXPECT_NE(error_of([&] { preprocess_image(image, config, 3); }).find("image_mean"), std::string::npos);
}

TEST(PreprocessConfig, ReadsTheProcessorFile) {
  const auto dir = test::fresh_dir("config");
  EXPECT_EQ(load_preprocess_config(dir).height, 224);  // no file: ViTImageProcessor's defaults
  write(
      dir / "preprocessor_config.json",
      R"({"size": {"shortest_edge": 20}, "image_mean": 0.25, "image_std": [0.5], "resample": 3, "do_resize": true})");
  const PreprocessConfig c = load_preprocess_config(dir);
  EXPECT_EQ(c.height, 20);
  EXPECT_EQ(c.width, 20);
  EXPECT_EQ(c.resample, 3);
  EXPECT_EQ(c.image_mean, std::vector<float>{0.25f});
  write(dir / "preprocessor_config.json", R"({"size": {"height": 8, "width": 6}})");
  EXPECT_EQ(load_preprocess_config(dir).width, 6);
  write(dir / "preprocessor_config.json", R"({"resample": 0})");
  EXPECT_NE(error_of([&] { load_preprocess_config(dir); }).find("resample 0"), std::string::npos);
  write(dir / "preprocessor_config.json", R"({"size": {"height": -1, "width": 6}})");
  EXPECT_NE(error_of([&] { load_preprocess_config(dir); }).find("size.height"), std::string::npos);
  write(dir / "preprocessor_config.json", R"({"image_std": [0.5, 0]})");
  EXPECT_NE(error_of([&] { load_preprocess_config(dir); }).find("image_std"), std::string::npos);
  write(dir / "preprocessor_config.json", R"({"size": )");
  EXPECT_NE(error_of([&] { load_preprocess_config(dir); }).find("preprocessor_config.json"),
            std::string::npos);
}

}  // namespace
}  // namespace attnviz
