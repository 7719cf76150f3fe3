#pragma once
// Post-processors of tokenizer.json ("post_processor"): TemplateProcessing, BertProcessing,
// RobertaProcessing, ByteLevel (offset trimming) and Sequence. They add the special tokens around one
// sequence or a pair and set token_type_ids; special tokens they add get offsets (0, 0).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.hpp"

namespace attnviz {

class PostProcessor {
 public:
  // One element of a template: a sequence (A = 0, B = 1) or special tokens.
  struct Piece {
    int sequence = -1;  // -1 for special tokens
    std::vector<int32_t> ids;
    std::vector<std::string> tokens;
    int32_t type_id = 0;
  };
  using Template = std::vector<Piece>;

  PostProcessor() = default;  // no special tokens, offsets untouched
  // [CLS] A [SEP] (B [SEP]), type ids 0 for A and 1 for B.
  static PostProcessor bert(const std::string& cls, int32_t cls_id, const std::string& sep, int32_t sep_id);
  static PostProcessor from_json(const nlohmann::json& spec, int depth = 0);

  Encoding process(Encoding first, std::optional<Encoding> second, bool add_special_tokens) const;

 private:
  void add(const PostProcessor& step);

  std::optional<bool> trim_offsets_;  // set: trim whitespace from offsets; value: add_prefix_space
  bool zero_type_ids_ = false;        // RoBERTa: every type id is 0
  std::optional<Template> single_, pair_;
};

}  // namespace attnviz
