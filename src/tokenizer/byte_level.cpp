#include "tokenizer/byte_level.hpp"

#include <cstdint>

#include "tokenizer/unicode.hpp"

namespace attnviz::byte_level {

namespace {

// Printable bytes stand for themselves; the others, in byte order, take the characters from U+0100 on.
std::array<char32_t, 256> build_table() {
  std::array<char32_t, 256> table{};
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    table[b] = printable ? static_cast<char32_t>(b) : next++;
  }
  return table;
}

const std::array<char32_t, 256>& table() {
  static const std::array<char32_t, 256> t = build_table();
  return t;
}

// The inverse of the table: the byte each of the characters U+0000..U+0143 stands for, or -1.
constexpr char32_t kTableEnd = 0x100 + 68;  // 68 bytes are not printable
const std::array<int16_t, kTableEnd>& inverse_table() {
  static const std::array<int16_t, kTableEnd> inverse = [] {
    std::array<int16_t, kTableEnd> out;
    out.fill(-1);
    for (int b = 0; b < 256; ++b) out[table()[b]] = static_cast<int16_t>(b);
    return out;
  }();
  return inverse;
}

}  // namespace

char32_t char_of_byte(unsigned char b) { return table()[b]; }

std::optional<unsigned char> byte_of_char(char32_t c) {
  if (c >= kTableEnd || inverse_table()[c] < 0) return std::nullopt;
  return static_cast<unsigned char>(inverse_table()[c]);
}

std::optional<std::string> decode_token(std::string_view token) {
  std::string bytes;
  for (char32_t c : unicode::decode_utf8(token)) {
    const auto b = byte_of_char(c);
    if (!b) return std::nullopt;
    bytes.push_back(static_cast<char>(*b));
  }
  return unicode::encode_utf8(unicode::decode_utf8(bytes));
}

}  // namespace attnviz::byte_level
