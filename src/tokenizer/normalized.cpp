#include "tokenizer/normalized.hpp"

#include <cstddef>

namespace attnviz {

NormalizedText NormalizedText::from_original(const std::u32string& original, size_t begin, size_t end) {
  NormalizedText out;
  out.text = original.substr(begin, end - begin);
  out.align.reserve(end - begin);
  for (size_t i = begin; i < end; ++i)
    out.align.emplace_back(static_cast<int32_t>(i), static_cast<int32_t>(i + 1));
  return out;
}

NormalizedText NormalizedText::slice(size_t begin, size_t end) const {
  NormalizedText out;
  out.text = text.substr(begin, end - begin);
  out.align.assign(align.begin() + static_cast<std::ptrdiff_t>(begin),
                   align.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

Span NormalizedText::original_span(size_t begin, size_t end) const {
  if (begin >= end || end > align.size()) return {0, 0};
  return {align[begin].first, align[end - 1].second};
}

void NormalizedText::transform(const std::vector<Change>& changes, size_t initial_removed) {
  std::u32string new_text;
  std::vector<Span> new_align;
  new_text.reserve(changes.size());
  new_align.reserve(changes.size());
  // `next` is the input character the next non-inserted change replaces; an inserted character takes
  // the alignment of the input character before it (or (0, 0) at the very start), as in HF.
  size_t next = initial_removed;
  for (const Change& step : changes) {
    Span span{0, 0};
    if (step.change > 0) {
      if (next > 0 && next - 1 < align.size()) span = align[next - 1];
    } else {
      if (next < align.size()) span = align[next];
      next += 1 + static_cast<size_t>(-step.change);
    }
    new_text.push_back(step.c);
    new_align.push_back(span);
  }
  text = std::move(new_text);
  align = std::move(new_align);
}

void NormalizedText::prepend(std::u32string_view s) {
  if (text.empty()) return;
  text.insert(0, s);
  align.insert(align.begin(), s.size(), align.front());
}

void NormalizedText::replace(std::u32string_view pattern, std::u32string_view content) {
  NormalizedText out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, pattern.size(), pattern) == 0) {
      const Span last = align[i + pattern.size() - 1];
      out.text.append(content);
      out.align.insert(out.align.end(), content.size(), last);
      i += pattern.size();
    } else {
      out.text.push_back(text[i]);
      out.align.push_back(align[i]);
      ++i;
    }
  }
  *this = std::move(out);
}

}  // namespace attnviz
