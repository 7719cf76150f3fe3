#pragma once
// A tokenizer with Hugging Face tokenizers semantics, loaded from tokenizer.json (or vocab.json + merges.txt,
// or vocab.txt). Offsets are [begin, end) in Unicode code points of the input, as HF reports them.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnviz {

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
  std::vector<std::pair<int32_t, int32_t>> offsets;
  std::vector<int32_t> type_ids;
  std::vector<uint8_t> special;  // 1 for tokens added by the post-processor or matched as special tokens
};

class Tokenizer {
 public:
  // path: a folder (tokenizer.json, else vocab.json + merges.txt, else vocab.txt), a tokenizer.json file
  // (any name), or a vocab.txt / vocab.json / merges.txt file (read with the files next to it).
  // Errors: attnviz::Error "cannot load tokenizer from <path>: <reason>", one line.
  static Tokenizer load(const std::filesystem::path& path);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  Encoding encode_pair(std::string_view first, std::string_view second, bool add_special_tokens = true) const;

  std::string kind() const;  // "bpe" or "wordpiece"
  size_t vocab_size() const;
  std::optional<std::string> id_to_token(int32_t id) const;
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // A readable form of a token for display: byte-level BPE tokens decoded to UTF-8 ("Ġthe" -> " the"),
  // SentencePiece's word marker shown as a space ("▁the" -> " the"); other tokens as they are.
  std::string display(std::string_view token) const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace attnviz
