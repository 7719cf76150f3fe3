#pragma once
// File helpers that never leave half-written results behind: everything is written under a temporary
// sibling name and renamed into place when complete.
#include <cstdio>
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

// A file written under its temporary sibling name and renamed onto final_path by commit(); removed when
// destroyed uncommitted (an error, an interrupt, a failed download), so final_path is either the old or the
// complete new file. Writes do not throw, so that they can run inside C callbacks (libcurl): the first
// failure is kept and commit() reports it.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path final_path);  // Error "cannot write <temp>: <reason>"
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  // Appends size bytes; false once any write has failed.
  bool write(const void* data, size_t size);
  // Closes and renames the file into place; Error "cannot write <temp>: <reason>" when a write or the close
  // failed, "cannot rename <temp> to <final>: <reason>" when the rename did.
  void commit();

 private:
  std::filesystem::path final_path_, temp_path_;
  std::FILE* file_ = nullptr;
  std::string failure_;  // the first write error
};

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

// An exclusive lock on a file (flock, which Linux's NFS client turns into a POSIX lock the server shares),
// held from construction until destruction, so that processes on several machines can take turns. The file is
// created empty when absent and left in place: removing it would let a later process lock a new file while
// another still holds the old one.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);  // waits; Error "cannot lock <path>: <reason>"
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  int fd_ = -1;
};

}  // namespace attnviz
