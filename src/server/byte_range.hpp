#pragma once
// HTTP Range requests (RFC 9110 §14), answered by attnviz itself for every response that is built from an
// offset: cpp-httplib 0.11 does not bound a range against a content provider's length, so the server takes
// the parsed ranges away from it (server.cpp) and the routes that support ranges answer through
// reply_ranged(), where each range is checked against the body's size before any byte is read.
//
// Policy: one range → 206 with exactly those bytes; several ranges → collapsed into the one range that covers
// them all (never a multipart answer, so 400 ranges cannot multiply the body); no satisfiable range → 416
// with "Content-Range: bytes */SIZE"; a header that does not parse, a unit other than bytes, an If-Range
// (nothing here has validators) or an empty body → the whole body with 200, as RFC 9110 allows.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <httplib.h>

namespace attnviz::server {

struct RangeAnswer {
  enum Kind { Whole, Partial, Unsatisfiable } kind = Whole;
  uint64_t offset = 0, length = 0;  // Partial: offset + length <= size, length >= 1
};

// What to answer to a Range header value for a body of `size` bytes. Linear in the header's length.
RangeAnswer resolve_range(std::string_view header, uint64_t size);

// Writes bytes [offset, offset + length) of the body into the sink; false on a write failure.
using BodyWriter = std::function<bool(uint64_t offset, uint64_t length, httplib::DataSink& sink)>;

// Answers with the body, or the part of it that the request's Range asks for (see the policy above). The
// writer is only ever called with offset + length <= size.
void reply_ranged(const httplib::Request& req, httplib::Response& res, uint64_t size,
                  const std::string& content_type, BodyWriter body);

// The bytes of block `index` (exactly the block size), valid until the next call.
using BlockSource = std::function<std::string_view(int index)>;
// reply_ranged over a body of `count` blocks of `block_bytes` each (every head of a layout file, one after
// the other), each asked of `block` only when its bytes are sent, in order.
void reply_blocks(const httplib::Request& req, httplib::Response& res, int count, uint64_t block_bytes,
                  BlockSource block);

}  // namespace attnviz::server
