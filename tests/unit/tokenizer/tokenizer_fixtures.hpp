#pragma once
// The tokenizer fixtures the tokenizer tests share (tests/fixtures/tokenizers), loaded once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnviz::test {

inline const std::string kTokenizerFixtures = std::string(ATTNVIZ_SOURCE_DIR) + "/tests/fixtures/tokenizers/";

inline const Tokenizer& gpt2() {
  static const Tokenizer t = Tokenizer::load(kTokenizerFixtures + "gpt2/tokenizer.json");
  return t;
}

inline const Tokenizer& bert() {
  static const Tokenizer t = Tokenizer::load(kTokenizerFixtures + "bert-base-uncased/tokenizer.json");
  return t;
}

using Offsets = std::vector<std::pair<int32_t, int32_t>>;

}  // namespace attnviz::test
