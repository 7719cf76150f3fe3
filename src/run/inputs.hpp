#pragma once
// Reading the inputs of `attnviz extract`: a .txt file (one input a line), a .jsonl file (one object a line)
// or a folder of images. Only the files are read here; tokenizing and decoding happen in the extract job.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace attnviz {

enum class InputKind { Text, Ids, Image };

struct InputItem {
  InputKind kind = InputKind::Text;
  std::string origin;           // where it came from, for messages: "data.jsonl:12", "digits/3.png"
  std::string text, text_pair;  // Text; text_pair is optional (BERT sentence pairs)
  std::vector<int32_t> input_ids, token_type_ids;  // Ids; token_type_ids is optional
  std::filesystem::path image;                     // Image: resolved path
};

struct InputSet {
  std::string source;  // the absolute path of the input file or folder
  std::string kind;    // "txt", "jsonl" or "images"
  std::vector<InputItem> items;
};

// Reads every input; an Error names the file (and line) of anything malformed, or an empty input.
//   .txt    one input a line; blank lines are skipped
//   .jsonl  {"text": "...", "text_pair": "..."?} | {"input_ids": [...], "token_type_ids": [...]?} |
//           {"image": "path"} (relative to the .jsonl file); blank lines skipped, other keys ignored
//   folder  every .png .jpg .jpeg .bmp .gif file in it, sorted by name
InputSet read_inputs(const std::filesystem::path& path);

}  // namespace attnviz
