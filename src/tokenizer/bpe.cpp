#include "tokenizer/bpe.hpp"

#include <cstdio>
#include <queue>

#include "core/error.hpp"
#include "tokenizer/unicode.hpp"

namespace attnviz {

namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// A merge waiting in the queue: lowest rank first, then leftmost.
struct Candidate {
  int32_t rank;
  uint32_t pos;
  int32_t new_id;
  bool operator<(const Candidate& other) const {
    return rank != other.rank ? rank > other.rank : pos > other.pos;
  }
};

std::string byte_token(unsigned char b) {
  char name[8];
  std::snprintf(name, sizeof name, "<0x%02X>", b);
  return name;
}

}  // namespace

BpeModel::BpeModel(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                   BpeOptions options)
    : SubwordModel(std::move(vocab)), options_(std::move(options)) {
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const auto left_id = vocab_.find(left), right_id = vocab_.find(right), new_id = vocab_.find(left + right);
    if (!left_id || !right_id || !new_id) {
      throw Error("BPE merge " + std::to_string(rank) + " (\"" + left + "\" \"" + right +
                  "\") uses a token that is not in the vocabulary");
    }
    merges_.emplace(pair_key(*left_id, *right_id), Merge{static_cast<int32_t>(rank), *new_id});
  }
  if (!options_.unk_token.empty()) unk_id_ = vocab_.find(options_.unk_token);
}

const BpeModel::Merge* BpeModel::find_merge(int32_t left, int32_t right) const {
  const auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

std::vector<SubwordToken> BpeModel::tokenize(std::u32string_view word) const {
  if (word.empty()) return {};
  if (options_.ignore_merges) {
    if (const auto id = vocab_.find(unicode::encode_utf8(word))) {
      return {SubwordToken{*id, 0, static_cast<uint32_t>(word.size())}};
    }
  }
  const bool cacheable = word.size() < kMaxCachedWord;
  std::u32string key;
  if (cacheable) {
    key.assign(word);
    std::lock_guard lock(cache_mutex_);
    if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  std::vector<SubwordToken> tokens = merge_word(word);
  if (cacheable) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) cache_.emplace(std::move(key), tokens);
  }
  return tokens;
}

// One symbol per character of the word (with prefix/suffix), or byte tokens / unk for unknown ones.
void BpeModel::add_symbols(std::u32string_view word, std::vector<SubwordToken>& symbols) const {
  std::optional<SubwordToken> pending_unk;
  std::string piece;
  for (uint32_t i = 0; i < word.size(); ++i) {
    piece.clear();
    if (i > 0) piece += options_.continuing_subword_prefix;
    unicode::append_utf8(piece, word[i]);
    if (i + 1 == word.size()) piece += options_.end_of_word_suffix;
    if (const auto id = vocab_.find(piece)) {
      if (pending_unk) symbols.push_back(*pending_unk);
      pending_unk.reset();
      symbols.push_back({*id, i, i + 1});
      continue;
    }
    if (options_.byte_fallback) {
      std::vector<int32_t> byte_ids;
      for (unsigned char b : piece) {
        if (const auto id = vocab_.find(byte_token(b))) byte_ids.push_back(*id);
      }
      if (byte_ids.size() == piece.size()) {
        // Byte tokens of one character all cover that character.
        for (int32_t id : byte_ids) symbols.push_back({id, i, i + 1});
        continue;
      }
    }
    if (options_.unk_token.empty()) continue;
    if (!unk_id_) throw Error("BPE: unk token \"" + options_.unk_token + "\" is not in the vocabulary");
    if (pending_unk && options_.fuse_unk) {
      pending_unk->end = i + 1;
    } else {
      if (pending_unk) symbols.push_back(*pending_unk);
      pending_unk = SubwordToken{*unk_id_, i, i + 1};
    }
  }
  if (pending_unk) symbols.push_back(*pending_unk);
}

std::vector<SubwordToken> BpeModel::merge_word(std::u32string_view word) const {
  std::vector<SubwordToken> symbols;
  symbols.reserve(word.size());
  add_symbols(word, symbols);
  const size_t n = symbols.size();
  // Symbols form a linked list; a merged-away symbol is marked dead.
  std::vector<int32_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  std::priority_queue<Candidate> queue;
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
    if (i + 1 < n) {
      if (const Merge* m = find_merge(symbols[i].id, symbols[i + 1].id)) {
        queue.push({m->rank, static_cast<uint32_t>(i), m->new_id});
      }
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    const uint32_t pos = top.pos;
    if (!alive[pos] || next[pos] < 0) continue;
    const auto right = static_cast<uint32_t>(next[pos]);
    // Skip entries made stale by an earlier merge.
    const Merge* current = find_merge(symbols[pos].id, symbols[right].id);
    if (!current || current->new_id != top.new_id) continue;
    symbols[pos].id = top.new_id;
    symbols[pos].end = symbols[right].end;
    alive[right] = false;
    next[pos] = next[right];
    if (next[pos] >= 0) prev[static_cast<size_t>(next[pos])] = static_cast<int32_t>(pos);
    if (prev[pos] >= 0) {
      const auto left = static_cast<uint32_t>(prev[pos]);
      if (const Merge* m = find_merge(symbols[left].id, symbols[pos].id))
        queue.push({m->rank, left, m->new_id});
    }
    if (next[pos] >= 0) {
      if (const Merge* m = find_merge(symbols[pos].id, symbols[static_cast<size_t>(next[pos])].id)) {
        queue.push({m->rank, pos, m->new_id});
      }
    }
  }
  std::vector<SubwordToken> tokens;
  tokens.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (alive[i]) tokens.push_back(symbols[i]);
  }
  return tokens;
}

}  // namespace attnviz
