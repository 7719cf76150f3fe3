// The building blocks on their own: UTF-8 decoding, the byte-level alphabet and the GPT-2 split pattern.
#include <gtest/gtest.h>

#include "tokenizer/byte_level.hpp"
#include "tokenizer/pre_tokenizers.hpp"
#include "tokenizer/unicode.hpp"

namespace attnviz {
namespace {

TEST(Utf8, DecodesAndReplacesMaximalInvalidSubparts) {
  EXPECT_EQ(unicode::decode_utf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), U"a\u00e9\u20ac\U0001F600");
  EXPECT_EQ(unicode::decode_utf8("\xff"), U"\uFFFD");
  EXPECT_EQ(unicode::decode_utf8("\xe2\x82"), U"\uFFFD");                  // truncated: one replacement
  EXPECT_EQ(unicode::decode_utf8("\xc0\xaf"), U"\uFFFD\uFFFD");            // overlong: each byte
  EXPECT_EQ(unicode::decode_utf8("\xed\xa0\x80"), U"\uFFFD\uFFFD\uFFFD");  // surrogate
  EXPECT_EQ(unicode::decode_utf8("\xf4\x90\x80\x80"), U"\uFFFD\uFFFD\uFFFD\uFFFD");  // above U+10FFFF
  EXPECT_EQ(unicode::encode_utf8(U"a\u00e9\U0001F600"), "a\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(ByteLevel, AlphabetRoundTripsEveryByte) {
  for (int b = 0; b < 256; ++b) {
    const char32_t c = byte_level::char_of_byte(static_cast<unsigned char>(b));
    EXPECT_EQ(byte_level::byte_of_char(c), b);
  }
  EXPECT_EQ(byte_level::char_of_byte(' '), U'\u0120');   // 'Ġ'
  EXPECT_EQ(byte_level::char_of_byte('\n'), U'\u010A');  // 'Ċ'
  EXPECT_EQ(byte_level::byte_of_char(U'\u0144'), std::nullopt);
  EXPECT_EQ(byte_level::decode_token("Hello"), "Hello");
  EXPECT_EQ(byte_level::decode_token("\u2581x"), std::nullopt);  // not byte-level
}

std::vector<std::u32string> split(std::u32string_view text) {
  std::vector<std::u32string> out;
  for (const auto& [b, e] : gpt2_split(text)) out.emplace_back(text.substr(b, e - b));
  return out;
}

TEST(Gpt2Split, FollowsThePattern) {
  using V = std::vector<std::u32string>;
  EXPECT_EQ(split(U"I'm here, it's 42!"), (V{U"I", U"'m", U" here", U",", U" it", U"'s", U" 42", U"!"}));
  EXPECT_EQ(split(U"a  b"), (V{U"a", U" ", U" b"}));
  EXPECT_EQ(split(U"a \n b"), (V{U"a", U" \n", U" b"}));
  EXPECT_EQ(split(U"end  "), (V{U"end", U"  "}));
  EXPECT_EQ(split(U"x\t\ty"), (V{U"x", U"\t", U"\t", U"y"}));
  EXPECT_EQ(split(U"'ll've're'd'x"), (V{U"'ll", U"'ve", U"'re", U"'d", U"'", U"x"}));
  EXPECT_EQ(split(U"\u00e9t\u00e9 2\u00b2 \u4e2d\u6587"),
            (V{U"\u00e9t\u00e9", U" 2\u00b2", U" \u4e2d\u6587"}));
  EXPECT_TRUE(split(U"").empty());
}

}  // namespace
}  // namespace attnviz
