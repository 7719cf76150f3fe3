#pragma once
// Strict JSON reading: RFC 8259 only (no comments, no trailing commas), and no duplicate keys in any
// object, because a duplicate key means the writer and the reader could disagree on a value.
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace attnviz {

// Parses text; errors are attnviz::Error "<what>: <reason>" (with the byte position for syntax errors).
nlohmann::json parse_json_strict(std::string_view text, const std::string& what);

// Reads and strictly parses a JSON file; errors name the path.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace attnviz
