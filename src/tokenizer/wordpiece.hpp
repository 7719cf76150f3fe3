#pragma once
// WordPiece as BERT uses it: greedy longest-match-first, continuation pieces carry a prefix ("##"),
// and a word with an unmatched part (or longer than max_input_chars_per_word) becomes the unk token.
#include <string>

#include "tokenizer/subword_model.hpp"

namespace attnviz {

struct WordPieceOptions {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};

class WordPieceModel : public SubwordModel {
 public:
  WordPieceModel(Vocab vocab, WordPieceOptions options);
  std::vector<SubwordToken> tokenize(std::u32string_view word) const override;
  std::string kind() const override { return "wordpiece"; }

 private:
  std::vector<SubwordToken> unknown(std::u32string_view word) const;
  WordPieceOptions options_;
};

}  // namespace attnviz
