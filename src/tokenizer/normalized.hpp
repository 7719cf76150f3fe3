#pragma once
// Text under normalisation, with HF NormalizedString's alignment rules: every character of the normalised
// text remembers the [begin, end) range of ORIGINAL code points it came from, so token offsets can be
// reported in the original text however the text was changed.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnviz {

using Span = std::pair<int32_t, int32_t>;

struct NormalizedText {
  std::u32string text;
  std::vector<Span> align;  // one per character of text

  // The text [begin, end) of original, aligned one to one.
  static NormalizedText from_original(const std::u32string& original, size_t begin, size_t end);

  bool empty() const { return text.empty(); }
  NormalizedText slice(size_t begin, size_t end) const;
  // The original range covered by normalised characters [begin, end): first begin to last end.
  Span original_span(size_t begin, size_t end) const;

  // One step of a transformation, as HF's NormalizedString::transform takes it: the new character and
  // `change` = 0 (replaces the next input character), 1 (inserted), or -n (replaces the next input
  // character and removes the n after it). `initial_removed` input characters are dropped at the start.
  struct Change {
    char32_t c;
    int change;
  };
  void transform(const std::vector<Change>& changes, size_t initial_removed = 0);

  // Keeps the characters for which keep(c) is true.
  template <typename Keep>
  void filter(Keep keep) {
    NormalizedText kept;
    for (size_t i = 0; i < text.size(); ++i) {
      if (!keep(text[i])) continue;
      kept.text.push_back(text[i]);
      kept.align.push_back(align[i]);
    }
    *this = std::move(kept);
  }

  // Prepends `s`, aligned like the first character (HF NormalizedString::prepend); no-op when empty.
  void prepend(std::u32string_view s);
  // Replaces every occurrence of `pattern` (non-empty) by `content`; the new characters take the
  // alignment of the last character they replace (HF NormalizedString::replace).
  void replace(std::u32string_view pattern, std::u32string_view content);
};

}  // namespace attnviz
