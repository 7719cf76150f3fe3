#pragma once
// A fresh folder for one test, removed with everything in it when the test ends; and small file helpers.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace attnviz::test {

// Writes text to path as it is (binary).
inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The whole file; empty when it cannot be read.
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// "<tmp>/attnviz-<suite>-<test>-<pid>-<n>": named after the running test (or suite, in SetUpTestSuite),
// unique within the process.
class TempDir {
 public:
  TempDir() {
    static int count = 0;
    const auto* unit = ::testing::UnitTest::GetInstance();
    const auto* test = unit->current_test_info();
    const auto* suite = unit->current_test_suite();  // set in SetUpTestSuite too
    std::string name = test    ? std::string(test->test_suite_name()) + "-" + test->name()
                       : suite ? suite->name()
                               : "tests";
    std::replace(name.begin(), name.end(), '/', '_');  // parameterised tests: "Suite/Case"
    path_ = std::filesystem::temp_directory_path() /
            ("attnviz-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(count++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Writes a file in the folder; returns its path.
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    write_text(path_ / name, text);
    return path_ / name;
  }
  // Names in the folder, sorted: to check that nothing (no staging folder either) was left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

// A fresh folder `name` under one TempDir that lives as long as the test program: for helpers that make
// folders outside any one test's TempDir.
inline std::filesystem::path fresh_dir(const std::string& name) {
  static const TempDir root;
  const std::filesystem::path dir = root / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace attnviz::test
