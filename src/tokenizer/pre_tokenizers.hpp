#pragma once
// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): they split text pieces into words (and, for
// ByteLevel, turn each word into byte-level characters), keeping alignments to the original text.
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/normalized.hpp"

namespace attnviz {

using Pieces = std::vector<NormalizedText>;
using PreTokenizer = std::function<void(Pieces&)>;

// The [begin, end) ranges of GPT-2's pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// over text; they cover it completely.
std::vector<std::pair<size_t, size_t>> gpt2_split(std::u32string_view text);

struct ByteLevelOptions {
  bool add_prefix_space = false;  // prepend ' ' to each piece that does not start with one
  bool use_regex = true;          // split with the GPT-2 pattern
};
PreTokenizer byte_level_pre_tokenizer(const ByteLevelOptions& options);
PreTokenizer bert_pre_tokenizer();

// Builds the pre-tokenizer a tokenizer.json describes; an empty function for null. Supported types:
// ByteLevel, BertPreTokenizer, Whitespace, WhitespaceSplit, Metaspace, Sequence. Others: Error naming the
// type.
PreTokenizer make_pre_tokenizer(const nlohmann::json& spec);

}  // namespace attnviz
