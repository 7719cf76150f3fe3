// The bundled demo models' tokenizers reproduce the input ids (and token type ids) that transformers
// produced for the reference texts (tests/fixtures/demo/<model>/reference.safetensors).
#include <gtest/gtest.h>

#include <cstring>

#include "core/json.hpp"
#include "core/safetensors.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnviz {
namespace {

const std::string kRoot = ATTNVIZ_SOURCE_DIR;

std::vector<int32_t> int64_tensor(const SafetensorsFile& file, const std::string& name) {
  const TensorView& t = file.at(name);
  EXPECT_EQ(t.dtype, DType::I64) << name;
  std::vector<int32_t> values(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t v = 0;
    std::memcpy(&v, t.bytes.data() + i * sizeof v, sizeof v);
    values[i] = static_cast<int32_t>(v);
  }
  return values;
}

void check_demo(const std::string& model, bool has_type_ids) {
  const Tokenizer tokenizer = Tokenizer::load(kRoot + "/models/" + model + "/tokenizer.json");
  const std::string dir = kRoot + "/tests/fixtures/demo/" + model;
  const nlohmann::json reference = read_json_file(dir + "/reference.json");
  const auto file = SafetensorsFile::open(dir + "/reference.safetensors");
  const auto& texts = reference["texts"];
  ASSERT_GE(texts.size(), 3u);
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE(model + " s" + std::to_string(i));
    const std::string prefix = "s" + std::to_string(i) + ".";
    const Encoding e = tokenizer.encode(texts[i].get<std::string>());
    EXPECT_EQ(e.ids, int64_tensor(*file, prefix + "input_ids"));
    if (has_type_ids) {
      EXPECT_EQ(e.type_ids, int64_tensor(*file, prefix + "token_type_ids"));
    }
  }
}

TEST(DemoModels, BrownGptInputIds) { check_demo("brown-gpt", false); }

TEST(DemoModels, BrownBertInputIdsAndTypeIds) { check_demo("brown-bert", true); }

TEST(DemoModels, ModelFolderLoadsItsTokenizerJson) {
  const Tokenizer from_folder = Tokenizer::load(kRoot + "/models/brown-bert");
  EXPECT_EQ(from_folder.kind(), "wordpiece");
  EXPECT_EQ(from_folder.encode("Hello world").tokens,
            (std::vector<std::string>{"[CLS]", "hell", "##o", "world", "[SEP]"}));
}

}  // namespace
}  // namespace attnviz
