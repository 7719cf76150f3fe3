#include "tokenizer/post_processor.hpp"

#include "core/error.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/json_fields.hpp"
#include "tokenizer/unicode.hpp"

namespace attnviz {

namespace {

PostProcessor::Piece special(const std::string& token, int32_t id, int32_t type_id) {
  return {-1, {id}, {token}, type_id};
}

PostProcessor::Piece sequence(int which, int32_t type_id) { return {which, {}, {}, type_id}; }

// A [token, id] pair of BertProcessing / RobertaProcessing.
std::pair<std::string, int32_t> token_and_id(const nlohmann::json& spec, const std::string& key,
                                             const std::string& where) {
  const nlohmann::json& pair = json_array(spec, key, where);
  if (pair.size() != 2 || !pair[0].is_string()) throw Error(where + ": \"" + key + "\" must be [token, id]");
  return {pair[0].get<std::string>(), json_token_id(pair[1], where + " " + key)};
}

bool is_space_char(char32_t c) { return c == byte_level::char_of_byte(' ') || unicode::is_whitespace(c); }

// HF's ByteLevel process_offsets: leading/trailing spaces of a token are left out of its offsets.
void trim_offsets(Encoding& e, bool add_prefix_space) {
  for (size_t i = 0; i < e.ids.size(); ++i) {
    const std::u32string token = unicode::decode_utf8(e.tokens[i]);
    size_t leading = 0, trailing = 0;
    while (leading < token.size() && is_space_char(token[leading])) ++leading;
    while (trailing < token.size() && is_space_char(token[token.size() - 1 - trailing])) ++trailing;
    auto& [begin, end] = e.offsets[i];
    if (leading > 0) {
      const bool first = i == 0 || begin == 0;
      if (first && add_prefix_space && leading == 1) leading = 0;
      begin = std::min(begin + static_cast<int32_t>(leading), end);
    }
    if (trailing > 0 && end >= static_cast<int32_t>(trailing)) {
      end = std::max(end - static_cast<int32_t>(trailing), begin);
    }
  }
}

void append(Encoding& out, const Encoding& part) {
  out.ids.insert(out.ids.end(), part.ids.begin(), part.ids.end());
  out.tokens.insert(out.tokens.end(), part.tokens.begin(), part.tokens.end());
  out.offsets.insert(out.offsets.end(), part.offsets.begin(), part.offsets.end());
  out.type_ids.insert(out.type_ids.end(), part.type_ids.begin(), part.type_ids.end());
  out.special.insert(out.special.end(), part.special.begin(), part.special.end());
}

PostProcessor::Template parse_template(const nlohmann::json& spec, const std::string& key,
                                       const nlohmann::json& special_tokens) {
  const std::string where = "post_processor TemplateProcessing " + key;
  PostProcessor::Template result;
  for (const auto& item : json_array(spec, key, "post_processor TemplateProcessing")) {
    if (!item.is_object() || item.size() != 1)
      throw Error(where + ": each piece must be an object with one key");
    const std::string kind = item.begin().key();
    const nlohmann::json& body = item.begin().value();
    const int32_t type_id = static_cast<int32_t>(json_count(body, "type_id", 0, where));
    const std::string id = json_string(body, "id", where);
    if (kind == "Sequence") {
      if (id != "A" && id != "B")
        throw Error(where + ": sequence id must be \"A\" or \"B\", not \"" + id + "\"");
      result.push_back(sequence(id == "A" ? 0 : 1, type_id));
    } else if (kind == "SpecialToken") {
      const auto entry = special_tokens.find(id);
      if (entry == special_tokens.end()) throw Error(where + ": special token \"" + id + "\" is not defined");
      PostProcessor::Piece piece{-1, {}, {}, type_id};
      for (const auto& value : json_array(*entry, "ids", where + " " + id)) {
        piece.ids.push_back(json_token_id(value, where + " " + id));
      }
      for (const auto& value : json_array(*entry, "tokens", where + " " + id)) {
        if (!value.is_string()) throw Error(where + " " + id + ": tokens must be strings");
        piece.tokens.push_back(value.get<std::string>());
      }
      if (piece.ids.size() != piece.tokens.size())
        throw Error(where + " " + id + ": ids and tokens differ in length");
      result.push_back(std::move(piece));
    } else {
      throw Error(where + ": unknown piece \"" + kind + "\"");
    }
  }
  return result;
}

}  // namespace

PostProcessor PostProcessor::bert(const std::string& cls, int32_t cls_id, const std::string& sep,
                                  int32_t sep_id) {
  PostProcessor p;
  p.single_ = Template{special(cls, cls_id, 0), sequence(0, 0), special(sep, sep_id, 0)};
  p.pair_ = Template{special(cls, cls_id, 0), sequence(0, 0), special(sep, sep_id, 0), sequence(1, 1),
                     special(sep, sep_id, 1)};
  return p;
}

PostProcessor PostProcessor::from_json(const nlohmann::json& spec, int depth) {
  if (spec.is_null()) return {};
  if (depth > kMaxSequenceDepth) throw Error("post_processor: Sequence nested too deeply");
  const std::string type = json_type(spec, "post_processor");
  const std::string where = "post_processor " + type;
  if (type == "BertProcessing") {
    const auto [cls, cls_id] = token_and_id(spec, "cls", where);
    const auto [sep, sep_id] = token_and_id(spec, "sep", where);
    return bert(cls, cls_id, sep, sep_id);
  }
  if (type == "RobertaProcessing") {
    const auto [cls, cls_id] = token_and_id(spec, "cls", where);
    const auto [sep, sep_id] = token_and_id(spec, "sep", where);
    PostProcessor p;
    if (json_bool(spec, "trim_offsets", true, where))
      p.trim_offsets_ = json_bool(spec, "add_prefix_space", true, where);
    p.zero_type_ids_ = true;
    p.single_ = Template{special(cls, cls_id, 0), sequence(0, 0), special(sep, sep_id, 0)};
    p.pair_ = Template{special(cls, cls_id, 0), sequence(0, 0), special(sep, sep_id, 0),
                       special(sep, sep_id, 0), sequence(1, 0), special(sep, sep_id, 0)};
    return p;
  }
  if (type == "ByteLevel") {
    PostProcessor p;
    if (json_bool(spec, "trim_offsets", true, where))
      p.trim_offsets_ = json_bool(spec, "add_prefix_space", true, where);
    return p;
  }
  if (type == "TemplateProcessing") {
    const nlohmann::json& special_tokens = json_object(spec, "special_tokens", where);
    PostProcessor p;
    p.single_ = parse_template(spec, "single", special_tokens);
    p.pair_ = parse_template(spec, "pair", special_tokens);
    return p;
  }
  if (type == "Sequence") {
    PostProcessor p;
    for (const auto& step : json_array(spec, "processors", where)) p.add(from_json(step, depth + 1));
    return p;
  }
  throw Error("unsupported post_processor type \"" + type + "\"");
}

void PostProcessor::add(const PostProcessor& step) {
  if (step.trim_offsets_) {
    if (single_) throw Error("post_processor Sequence: offsets trimmed after special tokens are added");
    trim_offsets_ = step.trim_offsets_;
  }
  zero_type_ids_ = zero_type_ids_ || step.zero_type_ids_;
  if (step.single_) {
    if (single_) throw Error("post_processor Sequence: more than one step adds special tokens");
    single_ = step.single_;
    pair_ = step.pair_;
  }
}

Encoding PostProcessor::process(Encoding first, std::optional<Encoding> second,
                                bool add_special_tokens) const {
  if (trim_offsets_) {
    trim_offsets(first, *trim_offsets_);
    if (second) trim_offsets(*second, *trim_offsets_);
  }
  if (zero_type_ids_) {
    std::fill(first.type_ids.begin(), first.type_ids.end(), 0);
    if (second) std::fill(second->type_ids.begin(), second->type_ids.end(), 0);
  }
  const Template* pattern = second ? (pair_ ? &*pair_ : nullptr) : (single_ ? &*single_ : nullptr);
  if (!pattern || (zero_type_ids_ && !add_special_tokens)) {
    if (second) append(first, *second);
    return first;
  }
  Encoding out;
  for (const Piece& piece : *pattern) {
    if (piece.sequence >= 0) {
      Encoding* part = piece.sequence == 0 ? &first : (second ? &*second : nullptr);
      if (!part) continue;
      std::fill(part->type_ids.begin(), part->type_ids.end(), piece.type_id);
      append(out, *part);
    } else if (add_special_tokens) {
      for (size_t k = 0; k < piece.ids.size(); ++k) {
        out.ids.push_back(piece.ids[k]);
        out.tokens.push_back(piece.tokens[k]);
        out.offsets.emplace_back(0, 0);
        out.type_ids.push_back(piece.type_id);
        out.special.push_back(1);
      }
    }
  }
  return out;
}

}  // namespace attnviz
