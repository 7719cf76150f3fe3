#pragma once
// A fresh folder under the system temp folder, removed when the test ends.
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace attnviz::test {

class TempDir {
 public:
  TempDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() / ("attnviz-" + std::string(test->test_suite_name()) +
                                                      "-" + test->name() + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace attnviz::test
