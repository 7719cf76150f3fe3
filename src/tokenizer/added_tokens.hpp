#pragma once
// Added tokens (tokenizer.json "added_tokens"): matched in the text before the model sees it, leftmost
// and longest first, with HF's flags. Tokens with normalized=false match the raw text; the others match
// the normalised text, against their own normalised form.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/normalized.hpp"
#include "tokenizer/normalizers.hpp"

namespace attnviz {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool single_word = false;  // only match when not inside a word
  bool lstrip = false;       // take the whitespace on the left into the match
  bool rstrip = false;       // take the whitespace on the right into the match
  bool normalized = true;    // match the normalised text (else the raw text)
  bool special = false;
};

// A part of the text: either an added token (with its id) or text for the model.
struct Segment {
  NormalizedText text;
  std::optional<int32_t> added_index;  // index into AddedTokens::tokens()
};

class AddedTokens {
 public:
  AddedTokens() = default;
  AddedTokens(std::vector<AddedToken> tokens, const Normalizer& normalizer);

  // Splits the raw text on raw-matched tokens, normalises the rest, then splits on normalised tokens.
  std::vector<Segment> extract(const std::u32string& original, const Normalizer& normalizer) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedToken* find(const std::string& content) const;

 private:
  struct Matcher {
    std::vector<std::u32string> patterns;                             // index = token index
    std::unordered_map<char32_t, std::vector<size_t>> by_first_char;  // token indices
    bool empty() const { return by_first_char.empty(); }
  };
  void split(const NormalizedText& text, const Matcher& matcher, std::vector<Segment>& out) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<std::string, size_t> by_content_;
  Matcher raw_, normalized_;
};

}  // namespace attnviz
