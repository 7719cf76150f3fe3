#include "tokenizer/wordpiece.hpp"

#include "core/error.hpp"
#include "tokenizer/unicode.hpp"

namespace attnviz {

WordPieceModel::WordPieceModel(Vocab vocab, WordPieceOptions options)
    : SubwordModel(std::move(vocab)), options_(std::move(options)) {}

std::vector<SubwordToken> WordPieceModel::unknown(std::u32string_view word) const {
  const auto id = vocab_.find(options_.unk_token);
  if (!id) throw Error("WordPiece: unk token \"" + options_.unk_token + "\" is not in the vocabulary");
  return {SubwordToken{*id, 0, static_cast<uint32_t>(word.size())}};
}

std::vector<SubwordToken> WordPieceModel::tokenize(std::u32string_view word) const {
  if (word.size() > options_.max_input_chars_per_word) return unknown(word);
  std::vector<SubwordToken> tokens;
  std::string candidate;
  size_t start = 0;
  while (start < word.size()) {
    std::optional<SubwordToken> match;
    for (size_t end = word.size(); end > start; --end) {
      candidate = start > 0 ? options_.continuing_subword_prefix : std::string();
      candidate += unicode::encode_utf8(word.substr(start, end - start));
      if (const auto id = vocab_.find(candidate)) {
        match = SubwordToken{*id, static_cast<uint32_t>(start), static_cast<uint32_t>(end)};
        break;
      }
    }
    if (!match) return unknown(word);
    tokens.push_back(*match);
    start = match->end;
  }
  return tokens;
}

}  // namespace attnviz
