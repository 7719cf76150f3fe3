// libFuzzer target: the body of POST /api/probe (server/probe_request.hpp). The first byte chooses a text or
// an image run, the rest is the body. Whatever the bytes, the reader answers an input it promises (non-empty
// text, ids or image bytes no longer than the body) or an HttpError 400 with one line; nothing else escapes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/http_util.hpp"
#include "server/probe_request.hpp"

using attnviz::InputKind;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool image_run = data[0] & 1;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const auto request = attnviz::server::parse_probe_request(body, image_run);
    const auto& item = request.item;
    const bool promised = image_run ? item.kind == InputKind::Image && !request.image.empty() &&
                                          request.image.size() <= body.size()
                                    : (item.kind == InputKind::Text && !item.text.empty()) ||
                                          (item.kind == InputKind::Ids && !item.input_ids.empty());
    if (!promised) __builtin_trap();
  } catch (const attnviz::server::HttpError& e) {
    const std::string message = e.what();
    if (e.status != 400 || message.empty() || message.find('\n') != std::string::npos) __builtin_trap();
  }
  return 0;
}
