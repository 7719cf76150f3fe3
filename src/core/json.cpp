#include "core/json.hpp"

#include <set>
#include <vector>

#include "core/error.hpp"
#include "core/fs.hpp"

namespace attnviz {

namespace {

// Thrown from the parser callback; nlohmann lets it pass through unchanged.
struct DuplicateKey {
  std::string key;
};

}  // namespace

nlohmann::json parse_json_strict(std::string_view text, const std::string& what) {
  std::vector<std::set<std::string>> keys_of_open_objects;
  auto check_keys = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      keys_of_open_objects.emplace_back();
    } else if (event == Event::object_end) {
      keys_of_open_objects.pop_back();
    } else if (event == Event::key) {
      std::string key = parsed.get<std::string>();
      if (!keys_of_open_objects.back().insert(key).second) throw DuplicateKey{std::move(key)};
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), check_keys, /*allow_exceptions=*/true,
                                 /*ignore_comments=*/false);
  } catch (const DuplicateKey& duplicate) {
    throw Error(what + ": duplicate key \"" + duplicate.key + "\"");
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() repeats the exception class; the byte position and reason are what the user needs.
    const std::string message = e.what();
    const auto reason = message.find("syntax error");
    throw Error(what + ": invalid JSON at byte " + std::to_string(e.byte) +
                (reason == std::string::npos ? "" : ": " + message.substr(reason)));
  }
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  return parse_json_strict(read_file(path), path.string());
}

}  // namespace attnviz
