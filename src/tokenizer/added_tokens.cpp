#include "tokenizer/added_tokens.hpp"

#include "tokenizer/unicode.hpp"

namespace attnviz {

namespace {

struct Match {
  size_t begin, end, token;
};

// The leftmost match starting at or after `from`, the longest one at that position.
std::optional<Match> next_match(const std::u32string& text, size_t from,
                                const std::vector<std::u32string>& patterns,
                                const std::unordered_map<char32_t, std::vector<size_t>>& by_first_char) {
  for (size_t i = from; i < text.size(); ++i) {
    const auto candidates = by_first_char.find(text[i]);
    if (candidates == by_first_char.end()) continue;
    std::optional<Match> best;
    for (size_t token : candidates->second) {
      const std::u32string& p = patterns[token];
      if (text.compare(i, p.size(), p) != 0) continue;
      if (!best || p.size() > best->end - best->begin) best = Match{i, i + p.size(), token};
    }
    if (best) return best;
  }
  return std::nullopt;
}

}  // namespace

AddedTokens::AddedTokens(std::vector<AddedToken> tokens, const Normalizer& normalizer)
    : tokens_(std::move(tokens)) {
  raw_.patterns.resize(tokens_.size());
  normalized_.patterns.resize(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    by_content_.emplace(token.content, i);
    if (token.content.empty()) continue;
    const std::u32string content = unicode::decode_utf8(token.content);
    Matcher& matcher = token.normalized ? normalized_ : raw_;
    std::u32string pattern = content;
    if (token.normalized && normalizer) {
      NormalizedText normalized = NormalizedText::from_original(content, 0, content.size());
      normalizer(normalized);
      pattern = normalized.text;
    }
    if (pattern.empty()) continue;
    matcher.by_first_char[pattern.front()].push_back(i);
    matcher.patterns[i] = std::move(pattern);
  }
}

const AddedToken* AddedTokens::find(const std::string& content) const {
  const auto it = by_content_.find(content);
  return it == by_content_.end() ? nullptr : &tokens_[it->second];
}

void AddedTokens::split(const NormalizedText& text, const Matcher& matcher, std::vector<Segment>& out) const {
  const std::u32string& s = text.text;
  size_t done = 0;  // end of the last piece emitted
  size_t from = 0;
  while (auto match = next_match(s, from, matcher.patterns, matcher.by_first_char)) {
    from = match->end;
    const AddedToken& token = tokens_[match->token];
    size_t begin = match->begin, end = match->end;
    if (token.single_word) {
      const bool word_before = begin > 0 && unicode::is_word(s[begin - 1]);
      const bool word_after = end < s.size() && unicode::is_word(s[end]);
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      size_t stripped = begin;
      while (stripped > 0 && unicode::is_whitespace(s[stripped - 1])) --stripped;
      begin = std::max(stripped, done);
    }
    if (token.rstrip) {
      while (end < s.size() && unicode::is_whitespace(s[end])) ++end;
    }
    if (done < begin) out.push_back({text.slice(done, begin), std::nullopt});
    out.push_back({text.slice(begin, end), match->token});
    done = end;
  }
  if (done < s.size()) out.push_back({text.slice(done, s.size()), std::nullopt});
}

std::vector<Segment> AddedTokens::extract(const std::u32string& original,
                                          const Normalizer& normalizer) const {
  std::vector<Segment> raw_split;
  const NormalizedText whole = NormalizedText::from_original(original, 0, original.size());
  if (raw_.empty()) {
    raw_split.push_back({whole, std::nullopt});
  } else {
    split(whole, raw_, raw_split);
  }
  std::vector<Segment> out;
  for (Segment& segment : raw_split) {
    if (segment.added_index) {
      out.push_back(std::move(segment));
      continue;
    }
    if (normalizer) normalizer(segment.text);
    if (normalized_.empty()) {
      if (!segment.text.empty()) out.push_back(std::move(segment));
    } else {
      split(segment.text, normalized_, out);
    }
  }
  return out;
}

}  // namespace attnviz
