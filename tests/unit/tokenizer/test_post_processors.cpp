// Post-processors beyond the fixtures: RobertaProcessing (offset trimming, type ids all 0) built on the real
// GPT-2 vocabulary, and TemplateProcessing pairs of the bundled BERT demo model.
#include <gtest/gtest.h>

#include "core/json.hpp"
#include "tokenizer_fixtures.hpp"

namespace attnviz {
namespace {

using test::Offsets;
using test::TempDir;
using Tokens = std::vector<std::string>;

// GPT-2's vocabulary with RoBERTa's pipeline: a prefix space, and <|endoftext|> standing for <s> and </s>.
Tokenizer roberta_like(const TempDir& dir) {
  nlohmann::json spec = read_json_file(test::kTokenizerFixtures + "gpt2/tokenizer.json");
  spec["pre_tokenizer"]["add_prefix_space"] = true;
  spec["post_processor"] = {{"type", "RobertaProcessing"},
                            {"sep", {"<|endoftext|>", 50256}},
                            {"cls", {"<|endoftext|>", 50256}},
                            {"trim_offsets", true},
                            {"add_prefix_space", true}};
  return Tokenizer::load(dir.write("tokenizer.json", spec.dump()));
}

TEST(PostProcessors, RobertaTrimsTheSpaceOutOfOffsets) {
  TempDir dir;
  const Tokenizer t = roberta_like(dir);
  const Encoding e = t.encode("Hello world");
  EXPECT_EQ(e.tokens, (Tokens{"<|endoftext|>", "ĠHello", "Ġworld", "<|endoftext|>"}));
  // As roberta-base reports: the added prefix space is not trimmed from the first word, others are.
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 5}, {6, 11}, {0, 0}}));
  EXPECT_EQ(t.encode("a  b").offsets, (Offsets{{0, 0}, {0, 1}, {2, 2}, {3, 4}, {0, 0}}));
}

TEST(PostProcessors, RobertaPairsHaveTypeIdsZeroAndDoubleSeparators) {
  TempDir dir;
  const Encoding e = roberta_like(dir).encode_pair("Hello", "world");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{50256, 18435, 50256, 50256, 995, 50256}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 5}, {0, 0}, {0, 0}, {0, 5}, {0, 0}}));
  EXPECT_EQ(e.special, (std::vector<uint8_t>{1, 0, 1, 1, 0, 1}));
}

TEST(PostProcessors, TemplatePairOfTheDemoBert) {
  const Tokenizer t = Tokenizer::load(std::string(ATTNVIZ_SOURCE_DIR) + "/models/brown-bert");
  const Encoding e = t.encode_pair("hello", "world");
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "hell", "##o", "[SEP]", "world", "[SEP]"}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(t.encode_pair("hello", "world", false).type_ids, (std::vector<int32_t>{0, 0, 1}));
}

}  // namespace
}  // namespace attnviz
