#include "core/json.hpp"

#include <vector>

#include "core/error.hpp"
#include "core/fs.hpp"

namespace attnviz {

namespace {

using nlohmann::json;

// Builds the document from SAX events like nlohmann's own DOM parser, and rejects a key that the object being
// built already holds (the DOM parser would silently keep the last value).
class StrictDomBuilder : public nlohmann::json_sax<json> {
 public:
  StrictDomBuilder(json& root, const std::string& what) : root_(root), what_(what) {}

  bool null() override { return add(nullptr); }
  bool boolean(bool value) override { return add(value); }
  bool number_integer(number_integer_t value) override { return add(value); }
  bool number_unsigned(number_unsigned_t value) override { return add(value); }
  bool number_float(number_float_t value, const string_t&) override { return add(value); }
  bool string(string_t& value) override { return add(std::move(value)); }
  bool binary(binary_t& value) override { return add(json::binary(std::move(value))); }

  bool start_object(std::size_t) override { return open(json::object()); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_array() override { return close(); }

  bool key(string_t& key) override {
    if (open_.back()->contains(key)) throw Error(what_ + ": duplicate key \"" + key + "\"");
    key_ = std::move(key);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    // e.what() starts with the exception's class; the reason is what the user needs.
    const std::string message = e.what();
    const auto reason = message.find("syntax error");
    throw Error(what_ + ": invalid JSON at byte " + std::to_string(position) +
                (reason == std::string::npos ? "" : ": " + message.substr(reason)));
  }

 private:
  // Places a value in the innermost open container (or at the root) and returns where it now lives. Only
  // the innermost container grows, so pointers to the open containers stay valid.
  json* place(json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }
  bool add(json value) {
    place(std::move(value));
    return true;
  }
  bool open(json container) {
    if (open_.size() >= static_cast<size_t>(kMaxJsonDepth))
      throw Error(what_ + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " arrays and objects");
    open_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  json& root_;
  const std::string& what_;
  std::vector<json*> open_;
  std::string key_;
};

}  // namespace

nlohmann::json parse_json_strict(std::string_view text, const std::string& what) {
  json root;
  StrictDomBuilder builder(root, what);
  json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json, /*strict=*/true,
                  /*ignore_comments=*/false);
  return root;
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  return parse_json_strict(read_file(path), path.string());
}

}  // namespace attnviz
