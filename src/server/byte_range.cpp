#include "server/byte_range.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "server/http_util.hpp"

namespace attnviz::server {

namespace {

constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool is_bytes_unit(std::string_view unit) {
  constexpr std::string_view kBytes = "bytes";
  return unit.size() == kBytes.size() &&
         std::equal(unit.begin(), unit.end(), kBytes.begin(), [](char a, char b) {
           return (a | 0x20) == b;  // ASCII case-insensitive: 'B' | 0x20 == 'b'
         });
}

// A decimal position; values beyond 64 bits saturate (they lie past any body). nullopt unless all digits.
std::optional<uint64_t> parse_position(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    value = value > (kSaturated - digit) / 10 ? kSaturated : value * 10 + digit;
  }
  return value;
}

// What one range-spec asks of a body of `size` > 0 bytes: bytes [first, last], none of them, or nothing
// that parses.
struct SpecBytes {
  enum Kind { Invalid, None, Some } kind;
  uint64_t first = 0, last = 0;
};

SpecBytes spec_bytes(std::string_view spec, uint64_t size) {
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {SpecBytes::Invalid};
  const std::string_view first_text = spec.substr(0, dash), last_text = spec.substr(dash + 1);
  if (first_text.empty()) {  // "-N": the last N bytes
    const auto suffix = parse_position(last_text);
    if (!suffix) return {SpecBytes::Invalid};
    if (*suffix == 0) return {SpecBytes::None};
    return {SpecBytes::Some, size - std::min(*suffix, size), size - 1};
  }
  const auto first = parse_position(first_text);
  const auto last = last_text.empty() ? std::optional<uint64_t>(kSaturated) : parse_position(last_text);
  if (!first || !last || *last < *first) return {SpecBytes::Invalid};
  if (*first >= size) return {SpecBytes::None};
  return {SpecBytes::Some, *first, std::min(*last, size - 1)};
}

}  // namespace

RangeAnswer resolve_range(std::string_view header, uint64_t size) {
  const size_t equals = header.find('=');
  if (equals == std::string_view::npos || !is_bytes_unit(trim(header.substr(0, equals))) || size == 0)
    return {};
  // Every range-spec of the comma-separated list (empty elements are allowed and skipped), collapsed into the
  // one range [low, high] that covers every satisfiable one.
  bool any = false, satisfiable = false;
  uint64_t low = kSaturated, high = 0;
  std::string_view rest = header.substr(equals + 1);
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view spec = trim(rest.substr(0, comma));
    if (!spec.empty()) {
      any = true;
      const SpecBytes bytes = spec_bytes(spec, size);
      if (bytes.kind == SpecBytes::Invalid) return {};
      if (bytes.kind == SpecBytes::Some) {
        satisfiable = true;
        low = std::min(low, bytes.first);
        high = std::max(high, bytes.last);
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!any) return {};
  if (!satisfiable) return {RangeAnswer::Unsatisfiable, 0, 0};
  return {RangeAnswer::Partial, low, high - low + 1};
}

void reply_ranged(const httplib::Request& req, httplib::Response& res, uint64_t size,
                  const std::string& content_type, BodyWriter body) {
  res.set_header("Accept-Ranges", "bytes");
  RangeAnswer answer;
  if (req.has_header("Range") && !req.has_header("If-Range"))
    answer = resolve_range(req.get_header_value("Range"), size);
  const std::string total = std::to_string(size);
  if (answer.kind == RangeAnswer::Unsatisfiable) {
    res.set_header("Content-Range", "bytes */" + total);
    reply_error(
        res, 416,
        "Range " + printable(req.get_header_value("Range")) + " asks for none of the " + total + " bytes");
    return;
  }
  uint64_t offset = 0, length = size;
  if (answer.kind == RangeAnswer::Partial) {
    offset = answer.offset;
    length = answer.length;
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(offset) + "-" +
                                        std::to_string(offset + length - 1) + "/" + total);
  }
  if (length == 0) {  // httplib takes a provider of length 0 for one of unknown length
    res.set_content("", content_type);
    return;
  }
  res.set_content_provider(length, content_type,
                           [offset, length, body](size_t at, size_t count, httplib::DataSink& sink) {
                             if (at >= length) return false;
                             return body(offset + at, std::min<uint64_t>(count, length - at), sink);
                           });
}

void reply_blocks(const httplib::Request& req, httplib::Response& res, int count, uint64_t block_bytes,
                  BlockSource block) {
  // reply_ranged only asks for bytes inside the total, so every offset falls in one of the blocks.
  reply_ranged(
      req, res, count * block_bytes, "application/octet-stream",
      [block = std::move(block), block_bytes](uint64_t offset, uint64_t length, httplib::DataSink& sink) {
        const std::string_view bytes = block(static_cast<int>(offset / block_bytes));
        const uint64_t within = offset % block_bytes;
        return sink.write(bytes.data() + within, std::min(length, block_bytes - within));
      });
}

}  // namespace attnviz::server
