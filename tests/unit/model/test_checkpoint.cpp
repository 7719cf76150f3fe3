// Checkpoints of model folders: every fixture and bundled model (single file, sharded, F16, BF16), and the
// errors of broken sharded indexes.
#include <cmath>
#include <cstring>
#include <functional>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "model/checkpoint.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

// A tiny independent reader: the JSON header of a file, to cross-check the library against.
nlohmann::json raw_header(const fs::path& path) {
  const std::string bytes = read_file(path);
  uint64_t header_size;
  std::memcpy(&header_size, bytes.data(), 8);
  return nlohmann::json::parse(bytes.substr(8, header_size));
}

TEST(Checkpoint, ReadsEveryFixtureAndBundledModel) {
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

TEST(Checkpoint, DecodesF16AndBF16Exactly) {
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
  for (const char* name : {".hidden.safetensors", "a b.safetensors", "a/b.safetensors"})
    EXPECT_EQ(open_with_edited_index(dir, [&](auto& j) { j[weight_map]["model.norm.weight"] = name; }),
              index + ": tensor \"model.norm.weight\" maps to \"" + name +
                  "\", not a file name in the checkpoint folder");
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
