#include "server/probe_request.hpp"

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json.hpp"
#include "server/http_util.hpp"

namespace attnviz::server {

namespace {

// Standard base64 (RFC 4648), padding optional; nullopt on any other character.
std::optional<std::string> decode_base64(const std::string& text) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char ch : text) {
    int v;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '+')
      v = 62;
    else if (ch == '/')
      v = 63;
    else if (ch == '=')
      break;
    else
      return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    if ((count += 6) >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

// "data:image/png;base64,...." or the bare base64.
std::string strip_data_url(const std::string& text) {
  if (text.rfind("data:", 0) != 0) return text;
  const size_t comma = text.find(',');
  return comma == std::string::npos ? text : text.substr(comma + 1);
}

// An array of ids, each an integer in [0, 2^31): a float, a negative or a larger number is refused here
// (converting it to int32 would be undefined or wrap to another id).
std::vector<int32_t> id_array(const nlohmann::json& value, const char* key) {
  const auto refuse = [&] {
    throw HttpError(400, std::string("\"") + key + "\" must be an array of integers in [0, 2147483647]");
  };
  if (!value.is_array()) refuse();
  std::vector<int32_t> ids;
  ids.reserve(value.size());
  for (const auto& v : value) {
    if (!v.is_number_unsigned() || v.get<uint64_t>() > uint64_t{INT32_MAX}) refuse();
    ids.push_back(static_cast<int32_t>(v.get<uint64_t>()));
  }
  return ids;
}

}  // namespace

ProbeRequest parse_probe_request(const std::string& body, bool image_run) {
  nlohmann::json j;
  try {
    j = parse_json_strict(body, "the request body");
  } catch (const Error& e) {
    throw HttpError(400, e.what());
  }
  if (!j.is_object())
    throw HttpError(
        400,
        "the body must be a JSON object: {\"text\": ...}, {\"input_ids\": [...]} or {\"image\": base64}");
  ProbeRequest in;
  InputItem& item = in.item;
  item.origin = "probe";
  const auto string_field = [&](const char* key) {
    if (!j[key].is_string()) throw HttpError(400, std::string("\"") + key + "\" must be a string");
    return j[key].get<std::string>();
  };
  if (j.contains("image")) {
    if (!image_run) throw HttpError(400, "\"image\" given, but this run's model reads text");
    item.kind = InputKind::Image;
    const auto bytes = decode_base64(strip_data_url(string_field("image")));
    if (!bytes || bytes->empty()) throw HttpError(400, "\"image\" is not base64");
    in.image = *bytes;
    return in;
  }
  if (image_run)
    throw HttpError(400, "this run's model reads images: send {\"image\": \"<base64 PNG or JPEG>\"}");
  if (j.contains("input_ids")) {
    item.kind = InputKind::Ids;
    item.input_ids = id_array(j["input_ids"], "input_ids");
    if (j.contains("token_type_ids")) item.token_type_ids = id_array(j["token_type_ids"], "token_type_ids");
    if (item.input_ids.empty()) throw HttpError(400, "\"input_ids\" is empty");
    return in;
  }
  if (!j.contains("text")) throw HttpError(400, "the body needs \"text\", \"input_ids\" or \"image\"");
  item.text = string_field("text");
  if (j.contains("text_pair")) item.text_pair = string_field("text_pair");
  if (item.text.empty()) throw HttpError(400, "\"text\" is empty");
  return in;
}

}  // namespace attnviz::server
