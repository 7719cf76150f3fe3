#pragma once
// Pieces shared by the API handlers: errors that carry an HTTP status, strict path parameters, replies.
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace attnviz::server {

// Thrown by handlers; answered as {"error": message} with this status.
struct HttpError : std::runtime_error {
  HttpError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

// Text from a request, fit to quote inside a one-line message: control bytes (NUL, newlines...) and DEL
// written as \xNN, at most 200 bytes kept (then "..."), in single quotes.
std::string printable(std::string_view text);

// The segments of `path` after `prefix`, which must number exactly `count`; 400 showing `usage` otherwise.
std::vector<std::string> path_params(const std::string& path, const std::string& prefix, size_t count,
                                     const char* usage);

// A decimal integer in [0, count): 400 when `text` is not a non-negative decimal integer, 404 when out of
// range.
int parse_index(const std::string& text, int64_t count, const char* what);

void reply_json(httplib::Response& res, const nlohmann::json& body);
// JSON already serialised, sent as is (no-cache). Every JSON reply goes through here: cpp-httplib would
// otherwise Brotli-compress it for a browser at its slowest quality, about 4 s a megabyte on this machine
// (a 1,000-input run's token table), far slower than sending it over loopback.
void reply_json_text(httplib::Response& res, std::shared_ptr<const std::string> text);
void reply_error(httplib::Response& res, int status, const std::string& message);
// Little-endian float32 with header X-Attnviz-Shape (e.g. "12,2").
void reply_floats(httplib::Response& res, std::span<const float> data, const std::string& shape);
void reply_float_bytes(httplib::Response& res, std::span<const std::byte> data, const std::string& shape);

}  // namespace attnviz::server
