#pragma once
// Helpers shared by the tokenizer tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

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

// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() / ("attnviz-tok-" + std::to_string(::getpid()) + "-" +
                                                      info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& contents) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << contents;
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace attnviz::test
