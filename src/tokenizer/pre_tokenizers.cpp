#include "tokenizer/pre_tokenizers.hpp"

#include "core/error.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/json_fields.hpp"
#include "tokenizer/unicode.hpp"

namespace attnviz {

namespace {

using Ranges = std::vector<std::pair<size_t, size_t>>;

// Replaces every piece by the pieces `split` finds in it; empty pieces are dropped, as HF does.
template <typename Split>
void split_pieces(Pieces& pieces, Split split) {
  Pieces out;
  out.reserve(pieces.size());
  for (const NormalizedText& piece : pieces) {
    for (const auto& [begin, end] : split(piece.text)) {
      if (end > begin) out.push_back(piece.slice(begin, end));
    }
  }
  pieces = std::move(out);
}

// The ranges between characters that match `is_delimiter` (which are dropped).
template <typename Predicate>
Ranges split_removing(std::u32string_view text, Predicate is_delimiter) {
  Ranges ranges;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!is_delimiter(text[i])) continue;
    ranges.emplace_back(start, i);
    start = i + 1;
  }
  ranges.emplace_back(start, text.size());
  return ranges;
}

// Every character that matches `is_delimiter` becomes its own range, between the runs of the others.
template <typename Predicate>
Ranges split_isolating(std::u32string_view text, Predicate is_delimiter) {
  Ranges ranges;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!is_delimiter(text[i])) continue;
    ranges.emplace_back(start, i);
    ranges.emplace_back(i, i + 1);
    start = i + 1;
  }
  ranges.emplace_back(start, text.size());
  return ranges;
}

bool is_bert_punctuation(char32_t c) {
  const bool ascii_punctuation =
      (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return ascii_punctuation || unicode::is_punctuation(c);
}

// The regex \w+|[^\w\s]+ keeping only the matches (HF Whitespace pre-tokenizer).
Ranges split_words_and_symbols(std::u32string_view text) {
  Ranges ranges;
  size_t i = 0;
  while (i < text.size()) {
    if (unicode::is_whitespace(text[i]) && !unicode::is_word(text[i])) {
      ++i;
      continue;
    }
    const bool word = unicode::is_word(text[i]);
    size_t end = i + 1;
    while (end < text.size() && unicode::is_word(text[end]) == word &&
           (word || !unicode::is_whitespace(text[end]))) {
      ++end;
    }
    ranges.emplace_back(i, end);
    i = end;
  }
  return ranges;
}

size_t run_end(std::u32string_view text, size_t i, bool (*in_class)(char32_t)) {
  while (i < text.size() && in_class(text[i])) ++i;
  return i;
}

bool is_other_symbol(char32_t c) {
  return !unicode::is_whitespace(c) && !unicode::is_letter(c) && !unicode::is_number(c);
}

// The end of the GPT-2 pattern's match at i (always > i).
size_t gpt2_match_end(std::u32string_view text, size_t i) {
  const size_t n = text.size();
  if (text[i] == '\'' && i + 1 < n) {
    const char32_t a = text[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if (i + 2 < n) {
      const char32_t b = text[i + 2];
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    }
  }
  // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`, in that order.
  const size_t body = text[i] == ' ' ? i + 1 : i;
  if (body < n) {
    for (auto in_class : {unicode::is_letter, unicode::is_number, is_other_symbol}) {
      if (in_class(text[body])) return run_end(text, body, in_class);
    }
  }
  // `\s+(?!\S)` leaves the last space of a run to the word after it; `\s+` takes a lone one.
  const size_t end = run_end(text, i, unicode::is_whitespace);
  if (end == n || end - i == 1) return end;
  return end - 1;
}

void to_byte_level(NormalizedText& piece) {
  std::vector<NormalizedText::Change> changes;
  changes.reserve(piece.text.size() * 2);
  std::string bytes;
  for (char32_t c : piece.text) {
    bytes.clear();
    unicode::append_utf8(bytes, c);
    for (size_t k = 0; k < bytes.size(); ++k) {
      changes.push_back({byte_level::char_of_byte(static_cast<unsigned char>(bytes[k])), k == 0 ? 0 : 1});
    }
  }
  piece.transform(changes);
}

// Pieces starting at each `delimiter`, which stays at the front of the piece after it (MergedWithNext).
Ranges split_before(std::u32string_view text, char32_t delimiter) {
  Ranges ranges;
  size_t start = 0;
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] != delimiter) continue;
    ranges.emplace_back(start, i);
    start = i;
  }
  ranges.emplace_back(start, text.size());
  return ranges;
}

// SentencePiece's view of spaces: ' ' becomes the replacement character ('▁'), which also starts words.
PreTokenizer metaspace(const nlohmann::json& spec) {
  const std::string where = "pre_tokenizer Metaspace";
  const std::u32string replacement = unicode::decode_utf8(json_string(spec, "replacement", where));
  if (replacement.size() != 1) throw Error(where + ": replacement must be one character");
  std::string scheme = json_optional_string(spec, "prepend_scheme", where);
  if (scheme.empty()) scheme = json_bool(spec, "add_prefix_space", true, where) ? "always" : "never";
  if (scheme != "always" && scheme != "first" && scheme != "never") {
    throw Error(where + ": unknown prepend_scheme \"" + scheme + "\"");
  }
  const bool split = json_bool(spec, "split", true, where);
  return [replacement, scheme, split](Pieces& pieces) {
    for (NormalizedText& piece : pieces) {
      piece.replace(U" ", replacement);
      const bool first = !piece.empty() && piece.align.front().first == 0;
      const bool prepend = scheme == "always" || (scheme == "first" && first);
      if (prepend && !piece.empty() && piece.text.front() != replacement[0]) piece.prepend(replacement);
    }
    if (split) split_pieces(pieces, [&](std::u32string_view t) { return split_before(t, replacement[0]); });
  };
}

}  // namespace

std::vector<std::pair<size_t, size_t>> gpt2_split(std::u32string_view text) {
  Ranges ranges;
  for (size_t i = 0; i < text.size();) {
    const size_t end = gpt2_match_end(text, i);
    ranges.emplace_back(i, end);
    i = end;
  }
  return ranges;
}

PreTokenizer byte_level_pre_tokenizer(const ByteLevelOptions& options) {
  return [options](Pieces& pieces) {
    if (options.add_prefix_space) {
      for (NormalizedText& piece : pieces) {
        if (!piece.empty() && piece.text.front() != ' ') piece.prepend(U" ");
      }
    }
    if (options.use_regex) split_pieces(pieces, gpt2_split);
    for (NormalizedText& piece : pieces) to_byte_level(piece);
  };
}

PreTokenizer bert_pre_tokenizer() {
  return [](Pieces& pieces) {
    split_pieces(pieces, [](std::u32string_view t) { return split_removing(t, unicode::is_whitespace); });
    split_pieces(pieces, [](std::u32string_view t) { return split_isolating(t, is_bert_punctuation); });
  };
}

namespace {

PreTokenizer build(const nlohmann::json& spec, int depth) {
  if (spec.is_null()) return {};
  if (depth > kMaxSequenceDepth) throw Error("pre_tokenizer: Sequence nested too deeply");
  const std::string type = json_type(spec, "pre_tokenizer");
  if (type == "ByteLevel") {
    ByteLevelOptions options;
    options.add_prefix_space = json_bool(spec, "add_prefix_space", true, "pre_tokenizer ByteLevel");
    options.use_regex = json_bool(spec, "use_regex", true, "pre_tokenizer ByteLevel");
    return byte_level_pre_tokenizer(options);
  }
  if (type == "BertPreTokenizer") return bert_pre_tokenizer();
  if (type == "Metaspace") return metaspace(spec);
  if (type == "Whitespace") {
    return [](Pieces& pieces) { split_pieces(pieces, split_words_and_symbols); };
  }
  if (type == "WhitespaceSplit") {
    return [](Pieces& pieces) {
      split_pieces(pieces, [](std::u32string_view t) { return split_removing(t, unicode::is_whitespace); });
    };
  }
  if (type == "Sequence") {
    std::vector<PreTokenizer> steps;
    for (const auto& step : json_array(spec, "pretokenizers", "pre_tokenizer Sequence")) {
      if (auto p = build(step, depth + 1)) steps.push_back(std::move(p));
    }
    return [steps](Pieces& pieces) {
      for (const auto& step : steps) step(pieces);
    };
  }
  throw Error("unsupported pre_tokenizer type \"" + type + "\"");
}

}  // namespace

PreTokenizer make_pre_tokenizer(const nlohmann::json& spec) { return build(spec, 0); }

}  // namespace attnviz
