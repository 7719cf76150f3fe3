// Writer/reader round trips and the real checkpoints of tests/fixtures and models/.
#include <cmath>
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/safetensors.hpp"
#include "temp_dir.hpp"

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

// A tiny independent reader: the JSON header of a file, to cross-check the library against.
nlohmann::json raw_header(const fs::path& path) {
  const std::string bytes = read_file(path);
  uint64_t header_size;
  std::memcpy(&header_size, bytes.data(), 8);
  return nlohmann::json::parse(bytes.substr(8, header_size));
}

TEST(Safetensors, ReadsEveryFixtureCheckpoint) {
  for (const char* folder :
       {"tests/fixtures/hf/gpt2/model", "tests/fixtures/hf/bert/model", "tests/fixtures/hf/vit/model",
        "tests/fixtures/hf/llama/model", "models/brown-gpt", "models/brown-bert", "models/mnist-vit"}) {
    SCOPED_TRACE(folder);
    const Checkpoint checkpoint = Checkpoint::open(folder);
    size_t tensors = 0;
    for (const auto& file : checkpoint.files()) {
      const auto header = raw_header(file->path());
      tensors += header.size() - header.contains("__metadata__");
      for (const auto& tensor : file->tensors()) {
        EXPECT_EQ(header[tensor.name]["dtype"], dtype_name(tensor.dtype));
        EXPECT_EQ(header[tensor.name]["shape"], nlohmann::json(tensor.shape));
        const std::vector<float> values = tensor.to_f32();
        EXPECT_TRUE(std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }))
            << tensor.name;
      }
    }
    EXPECT_EQ(checkpoint.names().size(), tensors);
  }
}

TEST(Safetensors, DecodesF16AndBF16CheckpointsExactly) {
  // Expected values decoded independently with Python's struct module ('<e' half floats; bf16 as the top of
  // '<f').
  const Checkpoint gpt = Checkpoint::open("models/brown-gpt");
  const TensorView& ln_f = gpt.at("transformer.ln_f.bias");
  EXPECT_EQ(ln_f.dtype, DType::F16);
  EXPECT_EQ(ln_f.shape, std::vector<int64_t>{256});
  const std::vector<float> bias = ln_f.to_f32();
  EXPECT_EQ(bias[0], -0.1600341796875f);
  EXPECT_EQ(bias[1], -0.141357421875f);
  EXPECT_EQ(bias[2], -0.1851806640625f);
  double sum = 0;
  for (float v : gpt.at("transformer.ln_f.weight").to_f32()) sum += v;
  EXPECT_DOUBLE_EQ(sum, 419.1279296875);

  const Checkpoint bert = Checkpoint::open("models/brown-bert");
  const TensorView& norm = bert.at("bert.embeddings.LayerNorm.weight");
  EXPECT_EQ(norm.dtype, DType::BF16);
  const std::vector<float> weight = norm.to_f32();
  EXPECT_EQ(weight[0], 0.98828125f);
  EXPECT_EQ(weight[1], 0.96875f);
  EXPECT_EQ(weight[2], 0.9921875f);
  sum = 0;
  for (float v : weight) sum += v;
  EXPECT_DOUBLE_EQ(sum, 251.4296875);
  EXPECT_EQ(bert.files().front()->metadata().at("format"), "pt");
}

TEST(Checkpoint, OpensASingleFileDirectly) {
  const Checkpoint checkpoint = Checkpoint::open("tests/fixtures/hf/gpt2/model/model.safetensors");
  EXPECT_EQ(checkpoint.files().size(), 1u);
  EXPECT_NE(checkpoint.find("transformer.wte.weight"), nullptr);
  try {
    checkpoint.at("nope");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(
        e.what(),
        "tests/fixtures/hf/gpt2/model/model.safetensors: tensor \"nope\" not found in the checkpoint");
  }
}

TEST(Checkpoint, ShardedCheckpointFollowsTheIndex) {
  const fs::path folder = "tests/fixtures/hf/llama/model";
  const auto index = read_json_file(folder / "model.safetensors.index.json");
  const Checkpoint checkpoint = Checkpoint::open(folder);
  EXPECT_EQ(checkpoint.files().size(), 6u);
  std::vector<std::string> expected_names;
  int64_t parameters = 0;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    expected_names.push_back(name);
    const TensorView& tensor = checkpoint.at(name);
    EXPECT_EQ(tensor.file, folder / shard.get<std::string>());
    parameters += tensor.numel();
  }
  EXPECT_EQ(checkpoint.names(), expected_names);
  EXPECT_EQ(parameters, index["metadata"]["total_parameters"].get<int64_t>());
  // The index file itself may be named too.
  EXPECT_EQ(Checkpoint::open(folder / "model.safetensors.index.json").names(), expected_names);
}

// A copy of the llama fixture whose index is edited by `edit`; returns the error of opening it.
std::string open_with_edited_index(const test::TempDir& dir,
                                   const std::function<void(nlohmann::json&)>& edit) {
  fs::copy("tests/fixtures/hf/llama/model", dir.path(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  auto index = read_json_file(dir / "model.safetensors.index.json");
  edit(index);
  write_file_atomic(dir / "model.safetensors.index.json", index.dump());
  try {
    Checkpoint::open(dir.path());
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Checkpoint, BrokenIndexesFailWithPreciseErrors) {
  test::TempDir dir;
  const std::string index = (dir / "model.safetensors.index.json").string();
  auto& weight_map = "weight_map";
  EXPECT_EQ(open_with_edited_index(
                dir, [&](auto& j) { j[weight_map]["model.norm.weight"] = "missing.safetensors"; }),
            index + ": tensor \"model.norm.weight\" maps to missing.safetensors, which does not exist");
  EXPECT_EQ(open_with_edited_index(
                dir, [&](auto& j) { j[weight_map]["extra.weight"] = "model-00001-of-00006.safetensors"; }),
            index + ": tensor \"extra.weight\" is not in its shard " +
                (dir / "model-00001-of-00006.safetensors").string());
  EXPECT_EQ(open_with_edited_index(dir, [&](auto& j) { j[weight_map].erase("model.norm.weight"); }),
            index + ": shard " + (dir / "model-00006-of-00006.safetensors").string() +
                " holds tensor \"model.norm.weight\", which the index does not map to it");
  EXPECT_EQ(open_with_edited_index(
                dir, [&](auto& j) { j[weight_map]["model.norm.weight"] = "../model.safetensors"; }),
            index +
                ": tensor \"model.norm.weight\" maps to \"../model.safetensors\", not a file name in the "
                "checkpoint folder");
  EXPECT_EQ(open_with_edited_index(dir, [&](auto& j) { j[weight_map]["model.norm.weight"] = 3; }),
            index + ": tensor \"model.norm.weight\" maps to 3, not a file name in the checkpoint folder");
  EXPECT_EQ(open_with_edited_index(dir, [&](auto& j) { j.erase(weight_map); }),
            index + ": expected an object with a \"weight_map\" object");
  EXPECT_EQ(open_with_edited_index(dir, [&](auto& j) { j[weight_map] = nlohmann::json::object(); }),
            index + ": \"weight_map\" is empty");

  write_file_atomic(dir / "model.safetensors.index.json", R"({"weight_map": {"a": "x", "a": "y"}})");
  try {
    Checkpoint::open(dir.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), index + ": duplicate key \"a\"");
  }
}

TEST(Checkpoint, FolderWithoutWeights) {
  test::TempDir dir;
  try {
    Checkpoint::open(dir.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.path().string() + ": no model.safetensors or model.safetensors.index.json in this folder");
  }
  EXPECT_THROW(Checkpoint::open(dir / "absent.safetensors"), Error);
}

}  // namespace
}  // namespace attnviz
