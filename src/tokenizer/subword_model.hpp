#pragma once
// The subword models (BPE, WordPiece): each turns one pre-tokenized word into vocabulary tokens.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnviz {

// A token of one word: its id and the [begin, end) characters of the word it covers.
struct SubwordToken {
  int32_t id;
  uint32_t begin, end;
};

// Hashing that lets string_view look up std::string keys without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Vocab {
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids;
  std::unordered_map<int32_t, std::string> tokens;  // a map: ids from a file may be sparse

  void add(const std::string& token, int32_t id);
  std::optional<int32_t> find(std::string_view token) const;
  const std::string* token(int32_t id) const;
};

class SubwordModel {
 public:
  virtual ~SubwordModel() = default;
  virtual std::vector<SubwordToken> tokenize(std::u32string_view word) const = 0;
  virtual std::string kind() const = 0;  // "bpe" or "wordpiece"
  const Vocab& vocab() const { return vocab_; }

 protected:
  explicit SubwordModel(Vocab vocab) : vocab_(std::move(vocab)) {}
  Vocab vocab_;
};

}  // namespace attnviz
