#pragma once
// Unicode helpers for the tokenizers: UTF-8 conversion and the character classes HF tokenizers uses
// (Rust's char predicates and the regex classes of the GPT-2 pattern), all answered by utf8proc.
#include <string>
#include <string_view>
#include <vector>

namespace attnviz::unicode {

// Decodes UTF-8; each maximal invalid subpart becomes one U+FFFD, as Rust's String::from_utf8_lossy does
// (the text HF tokenizers would see after Python decoded the bytes with errors="replace").
std::u32string decode_utf8(std::string_view text);
void append_utf8(std::string& out, char32_t c);
std::string encode_utf8(std::u32string_view text);

bool is_whitespace(char32_t c);   // Unicode White_Space (Rust char::is_whitespace, regex \s)
bool is_letter(char32_t c);       // \p{L}
bool is_number(char32_t c);       // \p{N}
bool is_word(char32_t c);         // regex \w: alphabetic, marks, decimal digits, connector punctuation
bool is_punctuation(char32_t c);  // \p{P}
bool is_other(char32_t c);        // control, format or private use (not unassigned, as unicode_categories)
bool is_mark_nonspacing(char32_t c);  // \p{Mn}
bool is_cjk_ideograph(char32_t c);    // the blocks BERT surrounds with spaces

// Full lowercase mapping of one character (Rust char::to_lowercase): usually one character.
std::u32string to_lowercase(char32_t c);
// Canonical (or compatibility) decomposition of one character, without reordering.
std::u32string decompose(char32_t c, bool compatibility);
int combining_class(char32_t c);

}  // namespace attnviz::unicode
