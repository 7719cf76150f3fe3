// libFuzzer target: arbitrary bytes as a safetensors file. Anything but a clean attnviz::Error (or success)
// is a bug: a crash, a sanitizer report, a huge allocation or another exception type.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto file = attnviz::SafetensorsFile::parse(std::string(reinterpret_cast<const char*>(data), size),
                                                "fuzz.safetensors");
    for (const auto& tensor : file->tensors()) tensor.to_f32();  // every accepted range must be readable
  } catch (const attnviz::Error&) {
  }
  return 0;
}
