#include "tokenizer/json_fields.hpp"

#include "core/error.hpp"

namespace attnviz {

namespace {

const nlohmann::json* field(const nlohmann::json& spec, const std::string& key, const std::string& where) {
  if (!spec.is_object()) throw Error(where + ": expected a JSON object");
  const auto it = spec.find(key);
  return it == spec.end() || it->is_null() ? nullptr : &*it;
}

const nlohmann::json& required(const nlohmann::json& spec, const std::string& key, const std::string& where) {
  const nlohmann::json* value = field(spec, key, where);
  if (!value) throw Error(where + ": missing \"" + key + "\"");
  return *value;
}

}  // namespace

std::string json_type(const nlohmann::json& spec, const std::string& where) {
  return json_string(spec, "type", where);
}

bool json_bool(const nlohmann::json& spec, const std::string& key, bool fallback, const std::string& where) {
  const nlohmann::json* value = field(spec, key, where);
  if (!value) return fallback;
  if (!value->is_boolean()) throw Error(where + ": \"" + key + "\" must be true or false");
  return value->get<bool>();
}

const nlohmann::json& json_array(const nlohmann::json& spec, const std::string& key,
                                 const std::string& where) {
  const nlohmann::json& value = required(spec, key, where);
  if (!value.is_array()) throw Error(where + ": \"" + key + "\" must be an array");
  return value;
}

const nlohmann::json& json_object(const nlohmann::json& spec, const std::string& key,
                                  const std::string& where) {
  const nlohmann::json& value = required(spec, key, where);
  if (!value.is_object()) throw Error(where + ": \"" + key + "\" must be an object");
  return value;
}

std::string json_string(const nlohmann::json& spec, const std::string& key, const std::string& where) {
  const nlohmann::json& value = required(spec, key, where);
  if (!value.is_string()) throw Error(where + ": \"" + key + "\" must be a string");
  return value.get<std::string>();
}

std::string json_optional_string(const nlohmann::json& spec, const std::string& key,
                                 const std::string& where) {
  const nlohmann::json* value = field(spec, key, where);
  if (!value) return {};
  if (!value->is_string()) throw Error(where + ": \"" + key + "\" must be a string");
  return value->get<std::string>();
}

int32_t json_token_id(const nlohmann::json& value, const std::string& where) {
  constexpr int64_t kLimit = int64_t{1} << 24;
  if (!value.is_number_integer()) throw Error(where + ": token id must be an integer");
  const bool negative = !value.is_number_unsigned() && value.get<int64_t>() < 0;
  if (negative || value.get<uint64_t>() >= static_cast<uint64_t>(kLimit)) {
    throw Error(where + ": token id " + value.dump() + " is out of range [0, 16777216)");
  }
  return static_cast<int32_t>(value.get<int64_t>());
}

int64_t json_count(const nlohmann::json& spec, const std::string& key, int64_t fallback,
                   const std::string& where) {
  const nlohmann::json* value = field(spec, key, where);
  if (!value) return fallback;
  constexpr uint64_t kMax = uint64_t{1} << 40;
  const bool valid =
      value->is_number_integer() &&
      (value->is_number_unsigned() ? value->get<uint64_t>() <= kMax
                                   : value->get<int64_t>() >= 0 && value->get<int64_t>() <= int64_t{kMax});
  if (!valid) throw Error(where + ": \"" + key + "\" must be an integer in [0, 2^40]");
  return value->get<int64_t>();
}

}  // namespace attnviz
