// SentencePiece-style BPE in tokenizer.json (Llama 2 / Mistral): '▁' for spaces, byte fallback, fused unk.
// Both layouts of such files must agree: Prepend + Replace normalizers, or the Metaspace pre-tokenizer.
#include <gtest/gtest.h>

#include "tokenizer_fixtures.hpp"

namespace attnviz {
namespace {

using test::Offsets;
using test::TempDir;
using Tokens = std::vector<std::string>;

const std::string kModel =
    R"("model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
  "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "▁": 4, "H": 5, "e": 6, "l": 7, "o": 8, "w": 9,
            "r": 10, "d": 11, "▁H": 12, "ll": 13, "▁He": 14, "▁Hell": 15, "▁Hello": 16},
  "merges": ["▁ H", "l l", "▁H e", "▁He ll", "▁Hell o"]})";
const std::string kRest =
    R"("added_tokens": [{"id": 1, "content": "<s>", "special": true, "normalized": false}],
  "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
    {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1],
    "tokens": ["<s>"]}}},
  "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"}]},)";

const std::string kNormalizerLayout =
    "{" + kRest + R"("normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
  {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}, "pre_tokenizer": null, )" +
    kModel + "}";
const std::string kMetaspaceLayout =
    "{" + kRest + R"("normalizer": null, "pre_tokenizer": {"type": "Metaspace", "replacement": "▁",
  "prepend_scheme": "first", "split": false}, )" +
    kModel + "}";

TEST(SentencePieceStyle, ByteFallbackFusedUnkAndOffsets) {
  TempDir dir;
  for (const std::string& spec : {kNormalizerLayout, kMetaspaceLayout}) {
    const Tokenizer t = Tokenizer::load(dir.write("tokenizer.json", spec));
    const Encoding e = t.encode("Hello world\n!?");
    // '\n' has a byte token; '!' and '?' have none and fuse into one unk.
    EXPECT_EQ(e.tokens, (Tokens{"<s>", "▁Hello", "▁", "w", "o", "r", "l", "d", "<0x0A>", "<unk>"}));
    EXPECT_EQ(
        e.offsets,
        (Offsets{{0, 0}, {0, 5}, {5, 6}, {6, 7}, {7, 8}, {8, 9}, {9, 10}, {10, 11}, {11, 12}, {12, 14}}));
    EXPECT_EQ(t.display("▁Hello"), " Hello");
  }
}

TEST(SentencePieceStyle, MetaspaceSplitsBeforeEachMarker) {
  TempDir dir;
  std::string spec = kMetaspaceLayout;
  spec.replace(spec.find("\"split\": false"), 14, "\"split\": true");
  const Tokenizer t = Tokenizer::load(dir.write("tokenizer.json", spec));
  EXPECT_EQ(t.encode("Hello  Hello", false).tokens, (Tokens{"▁Hello", "▁", "▁Hello"}));
  EXPECT_EQ(t.encode("Hello  Hello", false).offsets, (Offsets{{0, 5}, {5, 6}, {6, 12}}));
}

}  // namespace
}  // namespace attnviz
