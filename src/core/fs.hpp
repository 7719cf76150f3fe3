#pragma once
// File helpers that never leave half-written results behind: everything is written under a temporary
// sibling name and renamed into place when complete.
#include <filesystem>
#include <string>
#include <string_view>

namespace attnviz {

// The whole file as bytes; Error "cannot read <path>: <reason>".
std::string read_file(const std::filesystem::path& path);

// Writes contents to "<path>.tmp-<pid>", then renames it onto path.
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

// The temporary sibling name used for an atomic write of final_path: "<final>.tmp-<pid>".
std::filesystem::path temp_sibling(const std::filesystem::path& final_path);

// A folder built under a temporary sibling name and renamed onto final_path by commit(); removed when
// destroyed uncommitted (an error or an interrupt), so final_path is either the old or the complete folder.
class StagingDir {
 public:
  explicit StagingDir(std::filesystem::path final_path);
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  ~StagingDir();

  const std::filesystem::path& path() const { return temp_path_; }
  void commit();

 private:
  std::filesystem::path final_path_, temp_path_;
  bool committed_ = false;
};

}  // namespace attnviz
