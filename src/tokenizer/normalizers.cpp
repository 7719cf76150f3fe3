#include "tokenizer/normalizers.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tokenizer/json_fields.hpp"
#include "tokenizer/unicode.hpp"

namespace attnviz {

namespace {

void clean_text(NormalizedText& t) {
  t.filter([](char32_t c) {
    const bool kept_control = c == '\t' || c == '\n' || c == '\r';
    return !(c == 0 || c == 0xFFFD || (!kept_control && unicode::is_other(c)));
  });
  for (char32_t& c : t.text) {
    if (unicode::is_whitespace(c)) c = ' ';
  }
}

void space_chinese_chars(NormalizedText& t) {
  std::vector<NormalizedText::Change> changes;
  changes.reserve(t.text.size());
  for (char32_t c : t.text) {
    if (unicode::is_cjk_ideograph(c)) {
      changes.push_back({' ', 1});
      changes.push_back({c, 0});
      changes.push_back({' ', 1});
    } else {
      changes.push_back({c, 0});
    }
  }
  t.transform(changes);
}

// Sorts each run of combining marks by combining class (stable), keeping alignments with characters.
void canonical_reorder(NormalizedText& t) {
  size_t i = 0;
  while (i < t.text.size()) {
    if (unicode::combining_class(t.text[i]) == 0) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < t.text.size() && unicode::combining_class(t.text[end]) != 0) ++end;
    std::vector<std::pair<char32_t, Span>> run;
    for (size_t k = i; k < end; ++k) run.emplace_back(t.text[k], t.align[k]);
    std::stable_sort(run.begin(), run.end(), [](const auto& a, const auto& b) {
      return unicode::combining_class(a.first) < unicode::combining_class(b.first);
    });
    for (size_t k = i; k < end; ++k) std::tie(t.text[k], t.align[k]) = run[k - i];
    i = end;
  }
}

void decompose(NormalizedText& t, bool compatibility) {
  std::vector<NormalizedText::Change> changes;
  changes.reserve(t.text.size());
  for (char32_t c : t.text) {
    const std::u32string parts = unicode::decompose(c, compatibility);
    for (size_t k = 0; k < parts.size(); ++k) changes.push_back({parts[k], k == 0 ? 0 : 1});
  }
  t.transform(changes);
  canonical_reorder(t);
}

void strip_marks(NormalizedText& t) {
  t.filter([](char32_t c) { return !unicode::is_mark_nonspacing(c); });
}

void lowercase(NormalizedText& t) {
  std::vector<NormalizedText::Change> changes;
  changes.reserve(t.text.size());
  for (char32_t c : t.text) {
    const std::u32string lower = unicode::to_lowercase(c);
    for (size_t k = 0; k < lower.size(); ++k) changes.push_back({lower[k], k == 0 ? 0 : 1});
  }
  t.transform(changes);
}

void strip_whitespace(NormalizedText& t, bool left, bool right) {
  size_t begin = 0, end = t.text.size();
  while (left && begin < end && unicode::is_whitespace(t.text[begin])) ++begin;
  while (right && end > begin && unicode::is_whitespace(t.text[end - 1])) --end;
  t = t.slice(begin, end);
}

// The literal string of a Replace pattern ({"String": "..."}); regex patterns are not supported.
std::u32string replace_pattern(const nlohmann::json& spec) {
  const nlohmann::json& pattern = json_object(spec, "pattern", "normalizer Replace");
  if (!pattern.contains("String"))
    throw Error("normalizer Replace: only {\"String\": ...} patterns are supported");
  const std::u32string literal = unicode::decode_utf8(json_string(pattern, "String", "normalizer Replace"));
  if (literal.empty()) throw Error("normalizer Replace: empty pattern");
  return literal;
}

}  // namespace

Normalizer bert_normalizer(const BertNormalizerOptions& options) {
  return [options](NormalizedText& t) {
    if (options.clean_text) clean_text(t);
    if (options.handle_chinese_chars) space_chinese_chars(t);
    if (options.strip_accents) {
      decompose(t, false);
      strip_marks(t);
    }
    if (options.lowercase) lowercase(t);
  };
}

namespace {

Normalizer build(const nlohmann::json& spec, int depth) {
  if (spec.is_null()) return {};
  if (depth > kMaxSequenceDepth) throw Error("normalizer: Sequence nested too deeply");
  const std::string type = json_type(spec, "normalizer");
  if (type == "BertNormalizer") {
    BertNormalizerOptions options;
    options.clean_text = json_bool(spec, "clean_text", true, "normalizer");
    options.handle_chinese_chars = json_bool(spec, "handle_chinese_chars", true, "normalizer");
    options.lowercase = json_bool(spec, "lowercase", true, "normalizer");
    options.strip_accents = json_bool(spec, "strip_accents", options.lowercase, "normalizer");
    return bert_normalizer(options);
  }
  if (type == "Lowercase") return lowercase;
  if (type == "NFD") return [](NormalizedText& t) { decompose(t, false); };
  if (type == "NFKD") return [](NormalizedText& t) { decompose(t, true); };
  if (type == "StripAccents") return strip_marks;
  if (type == "Strip") {
    const bool left = json_bool(spec, "strip_left", true, "normalizer Strip");
    const bool right = json_bool(spec, "strip_right", true, "normalizer Strip");
    return [left, right](NormalizedText& t) { strip_whitespace(t, left, right); };
  }
  if (type == "Prepend") {
    const std::u32string prefix = unicode::decode_utf8(json_string(spec, "prepend", "normalizer Prepend"));
    return [prefix](NormalizedText& t) { t.prepend(prefix); };
  }
  if (type == "Replace") {
    const std::u32string pattern = replace_pattern(spec);
    const std::u32string content = unicode::decode_utf8(json_string(spec, "content", "normalizer Replace"));
    return [pattern, content](NormalizedText& t) { t.replace(pattern, content); };
  }
  if (type == "Sequence") {
    std::vector<Normalizer> steps;
    for (const auto& step : json_array(spec, "normalizers", "normalizer Sequence")) {
      if (auto n = build(step, depth + 1)) steps.push_back(std::move(n));
    }
    return [steps](NormalizedText& t) {
      for (const auto& step : steps) step(t);
    };
  }
  throw Error("unsupported normalizer type \"" + type + "\"");
}

}  // namespace

Normalizer make_normalizer(const nlohmann::json& spec) { return build(spec, 0); }

}  // namespace attnviz
