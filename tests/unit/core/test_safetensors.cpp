// Writer/reader round trips of every dtype, the header every writer shares, and the reader's conversions.
#include <cmath>
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/half.hpp"
#include "core/json.hpp"
#include "core/safetensors.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& values) {
  return std::as_bytes(std::span(values));
}

TEST(Safetensors, RoundTripsEveryDType) {
  test::TempDir dir;
  const std::vector<double> f64 = {1.5, -2.25, 1e300};
  const std::vector<float> f32 = {0.1f, -3.0f, 65504.0f, 1e-30f};
  const std::vector<uint16_t> f16 = {f32_to_f16(1.0f), f32_to_f16(-0.5f), f32_to_f16(1024.0f)};
  const std::vector<uint16_t> bf16 = {f32_to_bf16(2.0f), f32_to_bf16(-1e30f)};
  const std::vector<int64_t> i64 = {-(int64_t{1} << 40), 7};
  const std::vector<int32_t> i32 = {-5, 100000, 3, 4, 5, 6};
  const std::vector<int16_t> i16 = {-32768, 32767};
  const std::vector<int8_t> i8 = {-128, 127, 0};
  const std::vector<uint8_t> u8 = {0, 255};
  const std::vector<uint8_t> boolean = {1, 0, 1};
  const std::vector<float> empty, scalar = {4.0f};
  const std::vector<TensorToWrite> tensors = {
      {"f64", DType::F64, {3}, bytes_of(f64)},        {"f32", DType::F32, {2, 2}, bytes_of(f32)},
      {"f16", DType::F16, {3}, bytes_of(f16)},        {"bf16", DType::BF16, {2}, bytes_of(bf16)},
      {"i64", DType::I64, {2}, bytes_of(i64)},        {"i32", DType::I32, {2, 3}, bytes_of(i32)},
      {"i16", DType::I16, {2}, bytes_of(i16)},        {"i8", DType::I8, {3}, bytes_of(i8)},
      {"u8", DType::U8, {2}, bytes_of(u8)},           {"bool", DType::BOOL, {3}, bytes_of(boolean)},
      {"empty", DType::F32, {0, 5}, bytes_of(empty)}, {"scalar", DType::F32, {}, bytes_of(scalar)},
  };
  const auto path = dir / "all.safetensors";
  write_safetensors(path, tensors, {{"format", "pt"}, {"note", "ünïcode"}});

  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"note", "ünïcode"}}));
  ASSERT_EQ(file->tensors().size(), tensors.size());
  for (const auto& written : tensors) {
    SCOPED_TRACE(written.name);
    const TensorView& read = file->at(written.name);
    EXPECT_EQ(read.dtype, written.dtype);
    EXPECT_EQ(read.shape, written.shape);
    EXPECT_EQ(read.file, path);
    ASSERT_EQ(read.bytes.size(), written.bytes.size());
    EXPECT_TRUE(std::equal(read.bytes.begin(), read.bytes.end(), written.bytes.begin()));
  }
  EXPECT_EQ(file->at("f64").to_f32(), (std::vector<float>{1.5f, -2.25f, INFINITY}));
  EXPECT_EQ(file->at("f32").to_f32(), f32);
  EXPECT_EQ(file->at("f16").to_f32(), (std::vector<float>{1.0f, -0.5f, 1024.0f}));
  EXPECT_EQ(file->at("bf16").to_f32(), (std::vector<float>{2.0f, bf16_to_f32(f32_to_bf16(-1e30f))}));
  EXPECT_EQ(file->at("i64").to_f32(), (std::vector<float>{-1099511627776.0f, 7.0f}));
  EXPECT_EQ(file->at("i32").to_f32(), (std::vector<float>{-5, 100000, 3, 4, 5, 6}));
  EXPECT_EQ(file->at("i16").to_f32(), (std::vector<float>{-32768, 32767}));
  EXPECT_EQ(file->at("i8").to_f32(), (std::vector<float>{-128, 127, 0}));
  EXPECT_EQ(file->at("u8").to_f32(), (std::vector<float>{0, 255}));
  EXPECT_EQ(file->at("bool").to_f32(), (std::vector<float>{1, 0, 1}));
  EXPECT_TRUE(file->at("empty").to_f32().empty());
  EXPECT_EQ(file->at("empty").numel(), 0);
  EXPECT_EQ(file->at("scalar").numel(), 1);
  EXPECT_EQ(file->at("scalar").to_f32(), std::vector<float>{4.0f});
}

TEST(Safetensors, WriterAlignsTheDataSectionAndLeavesNoTempFile) {
  test::TempDir dir;
  const std::vector<float> values = {1, 2, 3};
  write_safetensors(dir / "x.safetensors", {{"abc", DType::F32, {3}, bytes_of(values)}});
  const std::string bytes = read_file(dir / "x.safetensors");
  uint64_t header_size;
  std::memcpy(&header_size, bytes.data(), 8);
  EXPECT_EQ(header_size % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header_size + 12);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(Safetensors, WriterRejectsBadTensorsWithoutWritingAnything) {
  test::TempDir dir;
  const std::vector<float> values = {1, 2, 3};
  const auto path = dir / "x.safetensors";
  try {
    write_safetensors(path, {{"w", DType::F32, {2, 2}, bytes_of(values)}});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              path.string() + ": cannot write tensor \"w\": shape [2,2] of F32 needs 16 bytes, got 12");
  }
  EXPECT_THROW(write_safetensors(path, {{"w", DType::F32, {3}, bytes_of(values)},
                                        {"w", DType::F32, {3}, bytes_of(values)}}),
               Error);
  EXPECT_THROW(write_safetensors(path, {{"__metadata__", DType::F32, {3}, bytes_of(values)}}), Error);
  EXPECT_THROW(write_safetensors(path, {{"w", DType::F32, {-3}, bytes_of(values)}}), Error);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Safetensors, ToF32ChecksTheOutputSize) {
  test::TempDir dir;
  const std::vector<float> values = {1, 2, 3};
  write_safetensors(dir / "x.safetensors", {{"w", DType::F32, {3}, bytes_of(values)}});
  auto file = SafetensorsFile::open(dir / "x.safetensors");
  std::vector<float> out(2);
  EXPECT_THROW(file->at("w").to_f32(out), Error);
}

TEST(Safetensors, ToF32OfAnEmptyViewWithNullBytes) {
  const TensorView empty{"e", DType::F32, {0, 3}, {}, "x.safetensors"};
  EXPECT_TRUE(empty.to_f32().empty());  // found by fuzz_safetensors: memcpy from null under UBSan
}

// The header every writer shares: __metadata__ first, the tensors in data order (each with its fields in
// sorted order), padded so that the data section starts 8-byte aligned, and the offsets of the tensors.
TEST(Safetensors, LayoutPutsTensorsBackToBackInTheGivenOrder) {
  const SafetensorsLayout layout = safetensors_layout(
      {{"zeta", DType::F16, {3}}, {"alpha", DType::F32, {2, 2}}, {"mid", DType::U8, {5}}}, {{"k", "v"}}, "x");
  EXPECT_EQ(layout.offsets, (std::vector<uint64_t>{0, 6, 22}));
  EXPECT_EQ(layout.data_size, 27u);
  uint64_t text_size;
  std::memcpy(&text_size, layout.header.data(), 8);
  EXPECT_EQ(text_size, layout.header.size() - 8);
  EXPECT_EQ(layout.header.size() % 8, 0u);
  const std::string text = layout.header.substr(8);
  EXPECT_EQ(text.substr(0, text.find_last_not_of(' ') + 1),
            R"({"__metadata__":{"k":"v"},"zeta":{"data_offsets":[0,6],"dtype":"F16","shape":[3]},)"
            R"("alpha":{"data_offsets":[6,22],"dtype":"F32","shape":[2,2]},)"
            R"("mid":{"data_offsets":[22,27],"dtype":"U8","shape":[5]}})");
  EXPECT_THROW(safetensors_layout({{"a", DType::F32, {1}}, {"a", DType::F32, {1}}}, {}, "x"), Error);
  EXPECT_THROW(safetensors_layout({{"bad \xff name", DType::F32, {1}}}, {}, "x"), Error);
}

}  // namespace
}  // namespace attnviz
