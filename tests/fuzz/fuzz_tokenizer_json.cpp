// libFuzzer target: arbitrary bytes as a tokenizer.json, then a few encodings with whatever loaded.
// Anything but a clean attnviz::Error (or success) is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

// Tokenizer::load reads a path, so each input goes through one file per fuzzing process.
const std::filesystem::path& input_path() {
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("attnviz-fuzz-" + std::to_string(::getpid()) + "-tokenizer.json");
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  attnviz::write_file_atomic(input_path(), std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const auto tokenizer = attnviz::Tokenizer::load(input_path());
    for (const char* text :
         {"Hello, world! It's 2023.", "  naïve café  ", "日本語のテキスト", "a\tb\nc [CLS] <|endoftext|>",
          "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", "\xff\xfe invalid utf-8", ""}) {
      const auto encoding = tokenizer.encode(text);
      for (const auto& token : encoding.tokens) tokenizer.display(token);
    }
    tokenizer.encode_pair("first", "second");
  } catch (const attnviz::Error&) {
  }
  return 0;
}
