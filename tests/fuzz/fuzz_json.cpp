// libFuzzer target: arbitrary bytes as JSON through the one parser attnviz reads JSON with (core/json).
// Anything but a document or a clean attnviz::Error is a bug; an accepted document is walked recursively
// (dumped and copied), which overflows the stack unless its nesting is bounded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "core/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const nlohmann::json value =
        attnviz::parse_json_strict(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
    const nlohmann::json copy = value;
    if (copy.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).empty()) __builtin_trap();
  } catch (const attnviz::Error&) {
  }
  return 0;
}
