// libFuzzer target: the Range header parser (server/byte_range.hpp). The first 8 bytes are the body's size,
// the rest the header value. Whatever the header, the answer must lie inside the body: a Partial range of at
// least one byte ending at or before its end.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "server/byte_range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t body = 0;
  std::memcpy(&body, data, 8);
  body >>= data[0] % 64;  // small sizes as often as huge ones
  const std::string_view header(reinterpret_cast<const char*>(data + 8), size - 8);
  const auto answer = attnviz::server::resolve_range(header, body);
  if (answer.kind == attnviz::server::RangeAnswer::Partial &&
      (answer.length == 0 || answer.offset >= body || answer.length > body - answer.offset))
    __builtin_trap();
  return 0;
}
