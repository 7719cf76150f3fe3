#pragma once
// GPT-2's byte-level alphabet: every byte is shown as a printable character (space -> 'Ġ', newline -> 'Ċ'),
// so that BPE over bytes can work on text.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace attnviz::byte_level {

// The printable character standing for byte b.
char32_t char_of_byte(unsigned char b);
// The byte a printable character stands for, if it is one of the 256.
std::optional<unsigned char> byte_of_char(char32_t c);
// Decodes a byte-level token back to UTF-8 text ("Ġthe" -> " the"); invalid UTF-8 becomes U+FFFD.
// Returns nullopt when a character is not part of the byte-level alphabet.
std::optional<std::string> decode_token(std::string_view token);

}  // namespace attnviz::byte_level
