#pragma once
// Normalizers of tokenizer.json ("normalizer"), applied to text pieces with alignment tracking.
#include <functional>

#include <nlohmann/json.hpp>

#include "tokenizer/normalized.hpp"

namespace attnviz {

using Normalizer = std::function<void(NormalizedText&)>;

struct BertNormalizerOptions {
  bool clean_text = true;            // drop control characters, turn every whitespace into ' '
  bool handle_chinese_chars = true;  // surround CJK ideographs with spaces
  bool strip_accents = true;         // NFD, then drop non-spacing marks (HF: null follows lowercase)
  bool lowercase = true;
};

Normalizer bert_normalizer(const BertNormalizerOptions& options);

// Builds the normalizer a tokenizer.json describes; an empty function for null. Supported types:
// BertNormalizer, Lowercase, NFD, NFKD, StripAccents, Strip, Prepend, Replace (literal patterns), Sequence.
// Others: Error naming the type.
Normalizer make_normalizer(const nlohmann::json& spec);

}  // namespace attnviz
