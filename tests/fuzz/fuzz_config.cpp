// libFuzzer target: arbitrary bytes as a model's config.json, through the JSON parser and the config reader
// of every model family (its rotary scaling included). Anything but a ModelConfig or a clean attnviz::Error
// is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "core/json.hpp"
#include "model/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    nlohmann::json raw = attnviz::parse_json_strict(
        std::string_view(reinterpret_cast<const char*>(data), size), "config.json");
    const attnviz::ModelConfig config = attnviz::parse_config(std::move(raw), "config.json");
    if (config.num_layers <= 0 || config.head_dim <= 0) __builtin_trap();
  } catch (const attnviz::Error&) {
  }
  return 0;
}
