#pragma once
// Byte-pair encoding as HF tokenizers' BPE model does it: start from the characters of a word, then
// repeatedly apply the lowest-ranked merge (leftmost first). Results are cached per word.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/subword_model.hpp"

namespace attnviz {

struct BpeOptions {
  std::string unk_token;                  // empty: characters missing from the vocabulary are dropped
  std::string continuing_subword_prefix;  // added to every character but the first of a word
  std::string end_of_word_suffix;         // added to the last character of a word
  bool fuse_unk = false;                  // consecutive unknown characters make one unk token
  bool byte_fallback = false;             // unknown characters become <0xNN> byte tokens when possible
  bool ignore_merges = false;             // a word that is in the vocabulary is taken whole
};

class BpeModel : public SubwordModel {
 public:
  // merges in rank order; Error naming the merge when one of its parts or its result is not in vocab.
  BpeModel(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options);
  std::vector<SubwordToken> tokenize(std::u32string_view word) const override;
  std::string kind() const override { return "bpe"; }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  std::vector<SubwordToken> merge_word(std::u32string_view word) const;
  void add_symbols(std::u32string_view word, std::vector<SubwordToken>& symbols) const;
  const Merge* find_merge(int32_t left, int32_t right) const;

  std::unordered_map<uint64_t, Merge> merges_;
  BpeOptions options_;
  std::optional<int32_t> unk_id_;

  static constexpr size_t kCacheCapacity = 10000;  // words, as in HF
  static constexpr size_t kMaxCachedWord = 256;    // characters
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::u32string, std::vector<SubwordToken>> cache_;
};

}  // namespace attnviz
