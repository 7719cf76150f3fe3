#pragma once
// A run's qk.safetensors (docs/format.md), read with pread when rows are asked for instead of memory-mapped:
// the file may be truncated or replaced while a server has the run open, and a read then fails with an Error
// that says so, where touching a mapping would kill the process with SIGBUS. Rows come straight from the page
// cache either way; reading costs one copy.
#include <sys/stat.h>

#include <cstddef>
#include <filesystem>
#include <map>
#include <span>
#include <string>

#include "core/safetensors.hpp"

namespace attnviz {

class QkFile {
 public:
  // Opens and validates the file (a safetensors file; the tensors' names and shapes are the run's to check).
  explicit QkFile(const std::filesystem::path& path);
  ~QkFile();
  QkFile(const QkFile&) = delete;
  QkFile& operator=(const QkFile&) = delete;

  // A tensor's name, dtype, shape and offset in the file (its `bytes` are empty); Error when absent.
  const TensorView& at(const std::string& name) const;

  // Fills `out` from the file's bytes at `offset`. Error when the file has changed since it was opened (size,
  // modification time) or is now too short.
  void read(uint64_t offset, std::span<std::byte> out) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  struct stat opened_ {};
  std::map<std::string, TensorView> tensors_;
};

}  // namespace attnviz
