#pragma once
// The parts of a loaded tokenizer, in pipeline order (HF tokenizers): added tokens are split off, the rest
// is normalised, pre-tokenized into words and run through the model; the post-processor adds specials.
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "tokenizer/added_tokens.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/post_processor.hpp"
#include "tokenizer/pre_tokenizers.hpp"
#include "tokenizer/subword_model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnviz {

struct Tokenizer::Impl {
  std::unique_ptr<SubwordModel> model;
  Normalizer normalizer;
  PreTokenizer pre_tokenizer;
  AddedTokens added;
  PostProcessor post_processor;
  bool byte_level = false;   // tokens are byte-level strings (shown decoded by display())
  std::string space_marker;  // SentencePiece's '▁' standing for a space (shown as one by display())

  // One sequence without special tokens from the post-processor.
  Encoding encode_sequence(std::string_view text, int32_t type_id) const;
};

// Builders for the three on-disk forms (loader.cpp).
std::unique_ptr<Tokenizer::Impl> load_tokenizer_json(const nlohmann::json& spec);
std::unique_ptr<Tokenizer::Impl> load_vocab_and_merges(const std::filesystem::path& vocab_json,
                                                       const std::filesystem::path& merges_txt);
std::unique_ptr<Tokenizer::Impl> load_vocab_txt(const std::filesystem::path& vocab_txt,
                                                const std::filesystem::path& tokenizer_config);

}  // namespace attnviz
