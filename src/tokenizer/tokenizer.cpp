#include "tokenizer/tokenizer.hpp"

#include "core/error.hpp"
#include "core/json.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "tokenizer/unicode.hpp"

namespace attnviz {

namespace {

void push_token(Encoding& e, int32_t id, std::string token, Span offsets, int32_t type_id, bool special) {
  e.ids.push_back(id);
  e.tokens.push_back(std::move(token));
  e.offsets.push_back(offsets);
  e.type_ids.push_back(type_id);
  e.special.push_back(special ? 1 : 0);
}

std::unique_ptr<Tokenizer::Impl> load_any(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) throw Error("no such file or folder");
  if (!fs::is_directory(path)) {
    // The older files may be named directly; their companions are looked up next to them.
    const auto name = path.filename(), dir = path.parent_path();
    if (name == "vocab.txt") return load_vocab_txt(path, dir / "tokenizer_config.json");
    if (name == "vocab.json" || name == "merges.txt") {
      return load_vocab_and_merges(dir / "vocab.json", dir / "merges.txt");
    }
    return load_tokenizer_json(read_json_file(path));
  }
  if (fs::exists(path / "tokenizer.json"))
    return load_tokenizer_json(read_json_file(path / "tokenizer.json"));
  if (fs::exists(path / "vocab.json") && fs::exists(path / "merges.txt")) {
    return load_vocab_and_merges(path / "vocab.json", path / "merges.txt");
  }
  if (fs::exists(path / "vocab.txt"))
    return load_vocab_txt(path / "vocab.txt", path / "tokenizer_config.json");
  throw Error("expected tokenizer.json, vocab.json + merges.txt, or vocab.txt");
}

}  // namespace

Encoding Tokenizer::Impl::encode_sequence(std::string_view text, int32_t type_id) const {
  const std::u32string original = unicode::decode_utf8(text);
  Encoding e;
  Pieces words;
  for (Segment& segment : added.extract(original, normalizer)) {
    if (segment.added_index) {
      // As in HF, the token string is the matched text (normalised; with any stripped whitespace).
      const AddedToken& token = added.tokens()[*segment.added_index];
      push_token(e, token.id, unicode::encode_utf8(segment.text.text),
                 segment.text.original_span(0, segment.text.text.size()), type_id, token.special);
      continue;
    }
    words.clear();
    words.push_back(std::move(segment.text));
    if (pre_tokenizer) pre_tokenizer(words);
    for (const NormalizedText& word : words) {
      for (const SubwordToken& t : model->tokenize(word.text)) {
        const std::string* token = model->vocab().token(t.id);
        push_token(e, t.id, token ? *token : std::string(), word.original_span(t.begin, t.end), type_id,
                   false);
      }
    }
  }
  return e;
}

Tokenizer Tokenizer::load(const std::filesystem::path& path) {
  try {
    return Tokenizer(load_any(path));
  } catch (const Error& e) {
    throw Error("cannot load tokenizer from " + path.string() + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw Error("cannot load tokenizer from " + path.string() + ": " + e.what());
  }
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  return impl_->post_processor.process(impl_->encode_sequence(text, 0), std::nullopt, add_special_tokens);
}

Encoding Tokenizer::encode_pair(std::string_view first, std::string_view second,
                                bool add_special_tokens) const {
  return impl_->post_processor.process(impl_->encode_sequence(first, 0), impl_->encode_sequence(second, 1),
                                       add_special_tokens);
}

std::string Tokenizer::kind() const { return impl_->model->kind(); }

size_t Tokenizer::vocab_size() const {
  size_t size = impl_->model->vocab().ids.size();
  for (const AddedToken& token : impl_->added.tokens()) {
    if (!impl_->model->vocab().find(token.content)) ++size;
  }
  return size;
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  for (const AddedToken& token : impl_->added.tokens()) {
    if (token.id == id) return token.content;
  }
  if (const std::string* token = impl_->model->vocab().token(id)) return *token;
  return std::nullopt;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* added = impl_->added.find(std::string(token))) return added->id;
  return impl_->model->vocab().find(token);
}

std::string Tokenizer::display(std::string_view token) const {
  if (impl_->byte_level && !impl_->added.find(std::string(token))) {
    if (auto text = byte_level::decode_token(token)) return *text;
  }
  const std::string& marker = impl_->space_marker;
  if (!marker.empty() && !impl_->added.find(std::string(token))) {
    std::string shown(token);
    for (size_t at = shown.find(marker); at != std::string::npos; at = shown.find(marker, at + 1)) {
      shown.replace(at, marker.size(), " ");
    }
    return shown;
  }
  return std::string(token);
}

}  // namespace attnviz
