// Harder inputs than the HF fixtures, with expectations derived from HF tokenizers' semantics (the
// GPT-2 split pattern, BertNormalizer and the alignment rules of NormalizedString).
#include <gtest/gtest.h>

#include "tokenizer_fixtures.hpp"

namespace attnviz {
namespace {

using test::bert;
using test::gpt2;
using test::Offsets;

using Tokens = std::vector<std::string>;
using Ids = std::vector<int32_t>;

TEST(Gpt2Hard, SpecialTokenGluedToText) {
  const Encoding e = gpt2().encode("Hello<|endoftext|> world");
  EXPECT_EQ(e.tokens, (Tokens{"Hello", "<|endoftext|>", "Ġworld"}));
  EXPECT_EQ(e.ids, (Ids{15496, 50256, 995}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 5}, {5, 18}, {18, 24}}));
  EXPECT_EQ(e.special, (std::vector<uint8_t>{0, 1, 0}));
  // No prefix space is added after a special token (add_prefix_space is false for GPT-2).
  EXPECT_EQ(gpt2().encode("x<|endoftext|>y").tokens, (Tokens{"x", "<|endoftext|>", "y"}));
}

TEST(Gpt2Hard, ContractionsAreLowercaseOnly) {
  const Encoding e = gpt2().encode("DON'T ''s it's");
  EXPECT_EQ(e.tokens, (Tokens{"DON", "'", "T", "Ġ''", "s", "Ġit", "'s"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 3}, {3, 4}, {4, 5}, {5, 8}, {8, 9}, {9, 12}, {12, 14}}));
}

TEST(Gpt2Hard, WhitespaceRunsLeaveTheirLastSpaceToTheNextWord) {
  const Encoding e = gpt2().encode("hi   there   ");
  EXPECT_EQ(e.tokens, (Tokens{"hi", "Ġ", "Ġ", "Ġthere", "Ġ", "Ġ", "Ġ"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 2}, {2, 3}, {3, 4}, {4, 10}, {10, 11}, {11, 12}, {12, 13}}));
  EXPECT_EQ(gpt2().encode("\n\n").tokens, (Tokens{"ĊĊ"}));
  EXPECT_EQ(gpt2().encode("  ").offsets, (Offsets{{0, 1}, {1, 2}}));
}

TEST(Gpt2Hard, NoBreakSpaceIsWhitespace) {
  const Encoding e = gpt2().encode("a\u00A0b");
  EXPECT_EQ(e.tokens, (Tokens{"a", "Âł", "b"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {1, 2}, {2, 3}}));
}

TEST(Gpt2Hard, EmojiZwjSequenceSplitsIntoBytesOfEachCodePoint) {
  // man ZWJ woman ZWJ girl: five code points, one pre-token; each byte token maps to its code point.
  const Encoding e = gpt2().encode("\U0001F468\u200D\U0001F469\u200D\U0001F467");
  EXPECT_EQ(e.tokens, (Tokens{"ðŁĳ", "¨", "âĢ", "į", "ðŁĳ", "©", "âĢ", "į", "ðŁĳ", "§"}));
  EXPECT_EQ(e.offsets,
            (Offsets{{0, 1}, {0, 1}, {1, 2}, {1, 2}, {2, 3}, {2, 3}, {3, 4}, {3, 4}, {4, 5}, {4, 5}}));
}

TEST(Gpt2Hard, FullwidthDigitsAreNumbers) {
  const Encoding e = gpt2().encode("１２３");
  EXPECT_EQ(e.ids, (Ids{171, 120, 239, 171, 120, 240, 171, 120, 241}));
  EXPECT_EQ(e.offsets.back(), (std::pair<int32_t, int32_t>{2, 3}));
}

TEST(Gpt2Hard, VeryLongWordIsNotCachedButStillMerged) {
  const std::string word(1000, 'a');
  const Encoding e = gpt2().encode(word);
  EXPECT_EQ(e.ids.size(), 250u);  // "aaaa" x 250, like the 60-character fixture case
  for (const auto& token : e.tokens) EXPECT_EQ(token, "aaaa");
  EXPECT_EQ(e.offsets.back(), (std::pair<int32_t, int32_t>{996, 1000}));
  EXPECT_EQ(gpt2().encode(word).ids, e.ids);  // and again, deterministic
}

TEST(Gpt2Hard, InvalidUtf8BecomesReplacementCharacter) {
  // Like Python's bytes.decode(errors="replace"): one U+FFFD per maximal invalid subpart.
  const Encoding e = gpt2().encode(
      "a\xff"
      "b");
  EXPECT_EQ(e.tokens, (Tokens{"a", "ï¿½", "b"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {1, 2}, {2, 3}}));
  // A truncated 3-byte sequence is one replacement character, then the next character.
  EXPECT_EQ(gpt2()
                .encode("\xe2\x82"
                        "x")
                .offsets,
            (Offsets{{0, 1}, {1, 2}}));
}

TEST(Gpt2Hard, EmptyAndNoSpecial) {
  EXPECT_TRUE(gpt2().encode("").ids.empty());
  // GPT-2's post-processor adds nothing: with or without special tokens the result is the same.
  EXPECT_EQ(gpt2().encode("Hello world", false).ids, gpt2().encode("Hello world", true).ids);
}

TEST(Gpt2Hard, DisplayDecodesByteLevelTokens) {
  EXPECT_EQ(gpt2().display("Ġthe"), " the");
  EXPECT_EQ(gpt2().display("ĠcafÃ©"), " café");
  EXPECT_EQ(gpt2().display("Ċ"), "\n");
  EXPECT_EQ(gpt2().display("<|endoftext|>"), "<|endoftext|>");
  EXPECT_EQ(gpt2().display("ðŁĺ"), "\uFFFD");  // a partial character cannot be shown
}

TEST(Gpt2Hard, Vocabulary) {
  EXPECT_EQ(gpt2().kind(), "bpe");
  EXPECT_EQ(gpt2().vocab_size(), 50257u);
  EXPECT_EQ(gpt2().token_to_id("Ġworld"), 995);
  EXPECT_EQ(gpt2().id_to_token(50256), "<|endoftext|>");
  EXPECT_EQ(gpt2().id_to_token(50257), std::nullopt);
  EXPECT_EQ(gpt2().id_to_token(-1), std::nullopt);
  EXPECT_EQ(gpt2().token_to_id("no such token"), std::nullopt);
}

TEST(BertHard, AccentsStrippedAfterNfdWithOffsetsOfTheOriginal) {
  const Encoding e = bert().encode("Héllo Wörld!");
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "hello", "world", "!", "[SEP]"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 5}, {6, 11}, {11, 12}, {0, 0}}));
  EXPECT_EQ(bert().encode("ÉCOLE").ids, (Ids{101, 12431, 102}));
}

TEST(BertHard, CombiningAccentInInputIsRemovedButCoveredByTheOffsets) {
  // "e" + U+0301 + "cole": six code points, one token spanning all of them.
  const Encoding e = bert().encode("e\u0301cole");
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "ecole", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (std::pair<int32_t, int32_t>{0, 6}));
  // A lone combining mark at the start leaves nothing before the word.
  EXPECT_EQ(bert().encode("\u0301ecole").offsets[1], (std::pair<int32_t, int32_t>{1, 6}));
}

TEST(BertHard, DottedCapitalIStripsToPlainI) {
  EXPECT_EQ(bert().encode("İstanbul").tokens, (Tokens{"[CLS]", "istanbul", "[SEP]"}));
  EXPECT_EQ(bert().encode("İstanbul").offsets[1], (std::pair<int32_t, int32_t>{0, 8}));
}

TEST(BertHard, CjkIdeographsAreSingleWords) {
  const Encoding e = bert().encode("我爱NLP");
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "我", "[UNK]", "nl", "##p", "[SEP]"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 1}, {1, 2}, {2, 4}, {4, 5}, {0, 0}}));
}

TEST(BertHard, HangulDecomposesIntoJamo) {
  const Encoding e = bert().encode("한국");
  EXPECT_EQ(e.ids, (Ids{101, 1469, 30006, 30021, 29991, 30014, 30020, 102}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 1}, {0, 1}, {0, 1}, {1, 2}, {1, 2}, {1, 2}, {0, 0}}));
}

TEST(BertHard, ControlAndFormatCharactersAreRemoved) {
  const Encoding e =
      bert().encode(std::string("a\0b\x07"
                                "c",
                                5));
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "abc", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (std::pair<int32_t, int32_t>{0, 5}));
  // A zero-width space (format character) disappears inside a word.
  const Encoding zw = bert().encode("x\u200By");
  EXPECT_EQ(zw.tokens, (Tokens{"[CLS]", "x", "##y", "[SEP]"}));
  EXPECT_EQ(zw.offsets, (Offsets{{0, 0}, {0, 1}, {2, 3}, {0, 0}}));
  // Unassigned code points are kept (HF's is_other is control, format and private use only).
  EXPECT_EQ(bert().encode("a\u0378b").tokens, (Tokens{"[CLS]", "[UNK]", "[SEP]"}));
  EXPECT_EQ(bert().encode("a\uE000b").tokens, (Tokens{"[CLS]", "ab", "[SEP]"}));  // private use: removed
  // Invalid UTF-8 becomes U+FFFD, which clean_text removes.
  EXPECT_EQ(bert()
                .encode("a\xff"
                        "b")
                .offsets[1],
            (std::pair<int32_t, int32_t>{0, 3}));
}

TEST(BertHard, EmojiZwjSequenceIsOneUnknownWord) {
  const Encoding e = bert().encode("\U0001F468\u200D\U0001F469\u200D\U0001F467 family");
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "[UNK]", "family", "[SEP]"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 5}, {6, 12}, {0, 0}}));
}

TEST(BertHard, WordsLongerThanTheLimitAreUnknown) {
  const Encoding e = bert().encode(std::string(101, 'a'));
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "[UNK]", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (std::pair<int32_t, int32_t>{0, 101}));
  EXPECT_EQ(bert().encode(std::string(100, 'a')).ids.size(), 2u + 1 + 49);  // aaa, then ##aa x 48, ##a
}

TEST(BertHard, SpecialTokensMatchTheRawTextOnly) {
  const Encoding e = bert().encode("[CLS]hello[SEP] [cls]");
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "[CLS]", "hello", "[SEP]", "[", "cl", "##s", "]", "[SEP]"}));
  EXPECT_EQ(e.offsets,
            (Offsets{{0, 0}, {0, 5}, {5, 10}, {10, 15}, {16, 17}, {17, 19}, {19, 20}, {20, 21}, {0, 0}}));
  EXPECT_EQ(e.special, (std::vector<uint8_t>{1, 1, 0, 1, 0, 0, 0, 0, 1}));
}

TEST(BertHard, OnlyWhitespaceAndEmpty) {
  EXPECT_EQ(bert().encode("   \t\n").tokens, (Tokens{"[CLS]", "[SEP]"}));
  EXPECT_TRUE(bert().encode("   ", false).ids.empty());
  EXPECT_TRUE(bert().encode("", false).ids.empty());
}

TEST(BertHard, PairEncodingSetsTypeIds) {
  const Encoding e = bert().encode_pair("Hello world", "How are you?");
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "hello", "world", "[SEP]", "how", "are", "you", "?", "[SEP]"}));
  EXPECT_EQ(e.type_ids, (Ids{0, 0, 0, 0, 1, 1, 1, 1, 1}));
  // Offsets of the second text are in the second text.
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 5}, {6, 11}, {0, 0}, {0, 3}, {4, 7}, {8, 11}, {11, 12}, {0, 0}}));
  const Encoding plain = bert().encode_pair("Hello world", "How are you?", false);
  EXPECT_EQ(plain.type_ids, (Ids{0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(bert().encode("Hello world", false).tokens, (Tokens{"hello", "world"}));
}

TEST(BertHard, DisplayAndVocabulary) {
  EXPECT_EQ(bert().kind(), "wordpiece");
  EXPECT_EQ(bert().vocab_size(), 30522u);
  EXPECT_EQ(bert().display("##ing"), "##ing");
  EXPECT_EQ(bert().token_to_id("[MASK]"), 103);
  EXPECT_EQ(bert().id_to_token(7592), "hello");
}

}  // namespace
}  // namespace attnviz
