// Building a tokenizer from tokenizer.json, or from the older vocab.json + merges.txt / vocab.txt files with
// the defaults the GPT-2 and BERT tokenizers of transformers use for them.
#include <fstream>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/json_fields.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "tokenizer/wordpiece.hpp"

namespace attnviz {

namespace {

using Merges = std::vector<std::pair<std::string, std::string>>;

Vocab parse_vocab(const nlohmann::json& vocab, const std::string& where) {
  if (!vocab.is_object()) throw Error(where + ": vocab must be an object of token: id");
  Vocab out;
  out.ids.reserve(vocab.size());
  for (const auto& [token, id] : vocab.items())
    out.add(token, json_token_id(id, where + " token \"" + token + "\""));
  return out;
}

// "left right" as in merges.txt and older tokenizer.json files.
std::pair<std::string, std::string> split_merge(const std::string& line, const std::string& where) {
  const auto space = line.find(' ');
  if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
    throw Error(where + ": merge \"" + line + "\" must be two tokens separated by one space");
  }
  return {line.substr(0, space), line.substr(space + 1)};
}

Merges parse_merges(const nlohmann::json& merges, const std::string& where) {
  if (!merges.is_array()) throw Error(where + ": merges must be an array");
  Merges out;
  out.reserve(merges.size());
  for (const auto& merge : merges) {
    if (merge.is_string()) {
      out.push_back(split_merge(merge.get<std::string>(), where));
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      out.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
    } else {
      throw Error(where + ": each merge must be \"left right\" or [left, right]");
    }
  }
  return out;
}

std::unique_ptr<SubwordModel> make_subword_model(const nlohmann::json& spec) {
  const std::string where = "model";
  if (!spec.is_object()) throw Error("tokenizer.json: \"model\" must be an object");
  std::string type = json_optional_string(spec, "type", where);
  if (type.empty()) type = spec.contains("merges") ? "BPE" : "WordPiece";
  if (type == "BPE") {
    BpeOptions options;
    options.unk_token = json_optional_string(spec, "unk_token", where);
    options.continuing_subword_prefix = json_optional_string(spec, "continuing_subword_prefix", where);
    options.end_of_word_suffix = json_optional_string(spec, "end_of_word_suffix", where);
    options.fuse_unk = json_bool(spec, "fuse_unk", false, where);
    options.byte_fallback = json_bool(spec, "byte_fallback", false, where);
    options.ignore_merges = json_bool(spec, "ignore_merges", false, where);
    if (const auto dropout = spec.find("dropout"); dropout != spec.end() && !dropout->is_null()) {
      if (!dropout->is_number() || dropout->get<double>() != 0.0)
        throw Error("model BPE: dropout is not supported");
    }
    return std::make_unique<BpeModel>(parse_vocab(json_object(spec, "vocab", where), "model BPE"),
                                      parse_merges(json_array(spec, "merges", where), "model BPE"), options);
  }
  if (type == "WordPiece") {
    WordPieceOptions options;
    options.unk_token = json_string(spec, "unk_token", where);
    if (spec.contains("continuing_subword_prefix")) {
      options.continuing_subword_prefix = json_string(spec, "continuing_subword_prefix", where);
    }
    options.max_input_chars_per_word =
        static_cast<size_t>(json_count(spec, "max_input_chars_per_word", 100, where));
    return std::make_unique<WordPieceModel>(parse_vocab(json_object(spec, "vocab", where), "model WordPiece"),
                                            options);
  }
  throw Error("unsupported model type \"" + type + "\"");
}

std::vector<AddedToken> parse_added_tokens(const nlohmann::json& spec) {
  std::vector<AddedToken> tokens;
  const auto list = spec.find("added_tokens");
  if (list == spec.end() || list->is_null()) return tokens;
  if (!list->is_array()) throw Error("tokenizer.json: \"added_tokens\" must be an array");
  for (const auto& item : *list) {
    const std::string where = "added_tokens[" + std::to_string(tokens.size()) + "]";
    AddedToken token;
    token.content = json_string(item, "content", where);
    token.id = json_token_id(item.contains("id") ? item["id"] : nlohmann::json(), where);
    token.single_word = json_bool(item, "single_word", false, where);
    token.lstrip = json_bool(item, "lstrip", false, where);
    token.rstrip = json_bool(item, "rstrip", false, where);
    token.special = json_bool(item, "special", false, where);
    token.normalized = json_bool(item, "normalized", !token.special, where);
    tokens.push_back(std::move(token));
  }
  return tokens;
}

// Whether a pre-tokenizer or decoder (or a Sequence of them) is ByteLevel.
bool mentions_byte_level(const nlohmann::json& spec, int depth = 0) {
  if (depth > 2 * kMaxSequenceDepth) return false;
  if (spec.is_object()) {
    if (const auto type = spec.find("type"); type != spec.end() && *type == "ByteLevel") return true;
    for (const char* key : {"pretokenizers", "decoders"}) {
      if (const auto steps = spec.find(key); steps != spec.end())
        return mentions_byte_level(*steps, depth + 1);
    }
  }
  if (spec.is_array()) {
    for (const auto& step : spec) {
      if (mentions_byte_level(step, depth + 1)) return true;
    }
  }
  return false;
}

// The character a decoder turns back into a space (Metaspace's replacement, or Replace "▁" -> " ").
std::string space_marker(const nlohmann::json& decoder, int depth = 0) {
  if (!decoder.is_object() || depth > kMaxSequenceDepth) return {};
  const auto type = decoder.find("type");
  if (type == decoder.end() || !type->is_string()) return {};
  if (*type == "Metaspace") return json_optional_string(decoder, "replacement", "decoder Metaspace");
  if (*type == "Replace" && decoder.contains("pattern") && decoder["pattern"].is_object() &&
      decoder.value("content", nlohmann::json()) == " ") {
    return json_optional_string(decoder["pattern"], "String", "decoder Replace");
  }
  if (*type == "Sequence" && decoder.contains("decoders") && decoder["decoders"].is_array()) {
    for (const auto& step : decoder["decoders"]) {
      if (auto marker = space_marker(step, depth + 1); !marker.empty()) return marker;
    }
  }
  return {};
}

const nlohmann::json& member_or_null(const nlohmann::json& spec, const char* key) {
  static const nlohmann::json null_value;
  const auto it = spec.find(key);
  return it == spec.end() ? null_value : *it;
}

// Added specials of the older formats: the named tokens that the vocabulary has, matched on the raw text.
std::vector<AddedToken> vocab_specials(const Vocab& vocab, std::initializer_list<const char*> names) {
  std::vector<AddedToken> tokens;
  for (const char* name : names) {
    if (const auto id = vocab.find(name)) tokens.push_back({name, *id, false, false, false, false, true});
  }
  return tokens;
}

nlohmann::json read_config(const std::filesystem::path& path) {
  return std::filesystem::exists(path) ? read_json_file(path) : nlohmann::json::object();
}

}  // namespace

std::unique_ptr<Tokenizer::Impl> load_tokenizer_json(const nlohmann::json& spec) {
  if (!spec.is_object()) throw Error("tokenizer.json must hold a JSON object");
  if (!spec.contains("model")) throw Error("tokenizer.json has no \"model\"");
  auto impl = std::make_unique<Tokenizer::Impl>();
  impl->model = make_subword_model(spec["model"]);
  impl->normalizer = make_normalizer(member_or_null(spec, "normalizer"));
  impl->pre_tokenizer = make_pre_tokenizer(member_or_null(spec, "pre_tokenizer"));
  impl->post_processor = PostProcessor::from_json(member_or_null(spec, "post_processor"));
  impl->added = AddedTokens(parse_added_tokens(spec), impl->normalizer);
  impl->space_marker = space_marker(member_or_null(spec, "decoder"));
  impl->byte_level = mentions_byte_level(member_or_null(spec, "pre_tokenizer")) ||
                     mentions_byte_level(member_or_null(spec, "decoder"));
  return impl;
}

std::unique_ptr<Tokenizer::Impl> load_vocab_and_merges(const std::filesystem::path& vocab_json,
                                                       const std::filesystem::path& merges_txt) {
  Vocab vocab = parse_vocab(read_json_file(vocab_json), vocab_json.string());
  Merges merges;
  std::ifstream in(merges_txt);
  if (!in) throw Error("cannot read " + merges_txt.string());
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.starts_with("#version")) continue;
    merges.push_back(split_merge(line, merges_txt.string() + " line " + std::to_string(number)));
  }
  const nlohmann::json config = read_config(vocab_json.parent_path() / "tokenizer_config.json");
  auto impl = std::make_unique<Tokenizer::Impl>();
  impl->added = AddedTokens(vocab_specials(vocab, {"<|endoftext|>"}), {});
  impl->model = std::make_unique<BpeModel>(std::move(vocab), merges, BpeOptions{});
  impl->pre_tokenizer =
      byte_level_pre_tokenizer({json_bool(config, "add_prefix_space", false, "tokenizer_config.json"), true});
  impl->byte_level = true;
  return impl;
}

std::unique_ptr<Tokenizer::Impl> load_vocab_txt(const std::filesystem::path& vocab_txt,
                                                const std::filesystem::path& tokenizer_config) {
  Vocab vocab;
  std::ifstream in(vocab_txt);
  if (!in) throw Error("cannot read " + vocab_txt.string());
  std::string line;
  for (int32_t id = 0; std::getline(in, line); ++id) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    vocab.add(line, id);
  }
  const nlohmann::json config = read_config(tokenizer_config);
  const std::string where = tokenizer_config.string();
  BertNormalizerOptions options;
  options.lowercase = json_bool(config, "do_lower_case", true, where);
  options.strip_accents = json_bool(config, "strip_accents", options.lowercase, where);
  options.handle_chinese_chars = json_bool(config, "tokenize_chinese_chars", true, where);
  auto impl = std::make_unique<Tokenizer::Impl>();
  impl->normalizer = bert_normalizer(options);
  impl->pre_tokenizer = bert_pre_tokenizer();
  const auto cls = vocab.find("[CLS]"), sep = vocab.find("[SEP]");
  if (cls && sep) impl->post_processor = PostProcessor::bert("[CLS]", *cls, "[SEP]", *sep);
  impl->added =
      AddedTokens(vocab_specials(vocab, {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}), impl->normalizer);
  impl->model = std::make_unique<WordPieceModel>(std::move(vocab), WordPieceOptions{});
  return impl;
}

}  // namespace attnviz
