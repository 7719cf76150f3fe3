// Added tokens with HF's flags (lstrip, rstrip, single_word, normalized) in a small tokenizer.json.
#include <gtest/gtest.h>

#include "tokenizer_fixtures.hpp"

namespace attnviz {
namespace {

using test::Offsets;
using test::TempDir;
using Tokens = std::vector<std::string>;

// A lowercasing WordPiece tokenizer with "<mask>" (raw, lstrip), "Yes" (normalized, single word) and
// "[X]" (raw, rstrip).
const char* kSpec = R"({
  "version": "1.0",
  "added_tokens": [
    {"id": 5, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true},
    {"id": 6, "content": "Yes", "single_word": true, "lstrip": false, "rstrip": false, "normalized": true, "special": false},
    {"id": 7, "content": "[X]", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false, "special": true}
  ],
  "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]},
  "pre_tokenizer": {"type": "WhitespaceSplit"},
  "post_processor": null,
  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {"[UNK]": 0, "hello": 1, "world": 2, "yesterday": 3, "##s": 4, "<mask>": 5, "yes": 6, "[X]": 7}}
})";

Tokenizer load_spec(const TempDir& dir) { return Tokenizer::load(dir.write("tokenizer.json", kSpec)); }

TEST(AddedTokens, LstripTakesTheSpacesOnTheLeft) {
  TempDir dir;
  const Encoding e = load_spec(dir).encode("hello  <mask> world");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 5, 2}));
  EXPECT_EQ(e.tokens, (Tokens{"hello", "  <mask>", "world"}));  // HF keeps the matched text as the token
  EXPECT_EQ(e.offsets, (Offsets{{0, 5}, {5, 13}, {14, 19}}));
  EXPECT_EQ(e.special, (std::vector<uint8_t>{0, 1, 0}));
}

TEST(AddedTokens, RstripTakesTheSpacesOnTheRight) {
  TempDir dir;
  const Encoding e = load_spec(dir).encode("hello[X]   world");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 7, 2}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 5}, {5, 11}, {11, 16}}));
}

TEST(AddedTokens, NormalizedSingleWordMatchesTheNormalizedTextOutsideWords) {
  TempDir dir;
  const Encoding e = load_spec(dir).encode("YÉS yesterday yes yess");
  // "YÉS" normalizes to "yes" and matches; inside "yesterday" and "yess" it is not a single word.
  EXPECT_EQ(e.ids, (std::vector<int32_t>{6, 3, 6, 6, 4}));
  EXPECT_EQ(e.tokens, (Tokens{"yes", "yesterday", "yes", "yes", "##s"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 3}, {4, 13}, {14, 17}, {18, 21}, {21, 22}}));
  EXPECT_EQ(e.special, (std::vector<uint8_t>{0, 0, 0, 0, 0}));
}

TEST(AddedTokens, NoPostProcessorMeansNoSpecialTokensAndPairsConcatenate) {
  TempDir dir;
  const Tokenizer t = load_spec(dir);
  const Encoding e = t.encode_pair("hello", "world");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(t.encode("").ids.size(), 0u);
}

}  // namespace
}  // namespace attnviz
