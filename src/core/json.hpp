#pragma once
// Strict JSON reading: RFC 8259 only (no comments, no trailing commas), no duplicate keys in any object
// (a duplicate key means the writer and the reader could disagree on a value), and at most kMaxJsonDepth
// nested arrays and objects (deeper documents would overflow the stack of whatever walks them recursively:
// copying, comparing, dumping). Every JSON that attnviz reads from disk or the network goes through here.
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace attnviz {

// Far deeper than any real config, tokenizer, manifest or metrics file (they nest fewer than 10 levels).
constexpr int kMaxJsonDepth = 256;

// Parses text; errors are attnviz::Error "<what>: <reason>" (with the byte position for syntax errors).
nlohmann::json parse_json_strict(std::string_view text, const std::string& what);

// Reads and strictly parses a JSON file; errors name the path.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace attnviz
