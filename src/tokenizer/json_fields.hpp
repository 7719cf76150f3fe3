#pragma once
// Typed access to the fields of tokenizer.json with precise errors ("<where>: \"key\" must be ...")
// instead of nlohmann's generic type errors.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace attnviz {

// How deeply Sequence components may nest (real files use one level); bounds recursion on hostile input.
constexpr int kMaxSequenceDepth = 8;

// The "type" string of a component object.
std::string json_type(const nlohmann::json& spec, const std::string& where);
// An optional boolean field: fallback when absent or null.
bool json_bool(const nlohmann::json& spec, const std::string& key, bool fallback, const std::string& where);
// A required array / object / string field.
const nlohmann::json& json_array(const nlohmann::json& spec, const std::string& key,
                                 const std::string& where);
const nlohmann::json& json_object(const nlohmann::json& spec, const std::string& key,
                                  const std::string& where);
std::string json_string(const nlohmann::json& spec, const std::string& key, const std::string& where);
// An optional string field: empty when absent or null.
std::string json_optional_string(const nlohmann::json& spec, const std::string& key,
                                 const std::string& where);
// A token id: an integer in [0, 2^24).
int32_t json_token_id(const nlohmann::json& value, const std::string& where);
// An optional non-negative integer field.
int64_t json_count(const nlohmann::json& spec, const std::string& key, int64_t fallback,
                   const std::string& where);

}  // namespace attnviz
