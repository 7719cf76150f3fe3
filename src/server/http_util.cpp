#include "server/http_util.hpp"

#include <algorithm>
#include <bit>
#include <charconv>

namespace attnviz::server {

static_assert(std::endian::native == std::endian::little, "binary replies are little-endian float32");

std::string printable(std::string_view text) {
  constexpr size_t kMaxBytes = 200;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMaxBytes; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != 0x7f) {
      out += static_cast<char>(byte);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 15]};
    }
  }
  return out + (text.size() > kMaxBytes ? "...'" : "'");
}

std::vector<std::string> path_params(const std::string& path, const std::string& prefix, size_t count,
                                     const char* usage) {
  std::vector<std::string> params;
  if (path.size() > prefix.size()) {
    size_t start = prefix.size();
    while (true) {
      size_t slash = path.find('/', start);
      params.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
  }
  if (params.size() != count)
    throw HttpError(400, "malformed path " + printable(path) + ": expected " + usage);
  return params;
}

int parse_index(const std::string& text, int64_t count, const char* what) {
  int64_t value = -1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  bool digits_only = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits_only || ec != std::errc() || ptr != end) {
    throw HttpError(
        400, std::string("malformed ") + what + " " + printable(text) + ": expected a non-negative integer");
  }
  if (value >= count) {
    std::string valid = count == 0 ? "the run has none" : "valid: 0 to " + std::to_string(count - 1);
    throw HttpError(404, "no " + std::string(what) + " " + text + " (" + valid + ")");  // text: digits only
  }
  return static_cast<int>(value);
}

void reply_json(httplib::Response& res, const nlohmann::json& body) {
  reply_json_text(res, std::make_shared<const std::string>(
                           body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

void reply_json_text(httplib::Response& res, std::shared_ptr<const std::string> text) {
  res.set_header("Cache-Control", "no-cache");
  const size_t size =
      text->size();  // never 0: httplib takes a provider of length 0 for one of unknown length
  res.set_content_provider(
      size, "application/json", [text](size_t offset, size_t length, httplib::DataSink& sink) {
        return sink.write(text->data() + offset, std::min(length, text->size() - offset));
      });
}

// A body set in place, not through a provider: the server's error handler keeps only a non-empty body (and
// one line of JSON is small enough for any compression).
void reply_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_header("Cache-Control", "no-cache");
  res.set_content(
      nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      "application/json");
}

void reply_floats(httplib::Response& res, std::span<const float> data, const std::string& shape) {
  reply_float_bytes(res, std::as_bytes(data), shape);
}

void reply_float_bytes(httplib::Response& res, std::span<const std::byte> data, const std::string& shape) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Attnviz-Shape", shape);
  res.set_content(reinterpret_cast<const char*>(data.data()), data.size(), "application/octet-stream");
}

}  // namespace attnviz::server
