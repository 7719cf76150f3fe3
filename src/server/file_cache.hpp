#pragma once
// Files of a run that other processes write while the server runs (layouts/*, by attnviz layout or demo).
// Each is loaded once and reloaded when it is replaced: the cache key is the file's inode, mtime and size,
// and writers rename complete files into place, so a changed file always has a new key.
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>

namespace attnviz::server {

// What identifies one version of a file: its inode, mtime and size (a renamed-in replacement changes them).
using FileStamp = std::tuple<ino_t, time_t, long, off_t>;

// The file's stamp, or nullopt when it does not exist (or cannot be stat'ed).
inline std::optional<FileStamp> file_stamp(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return FileStamp{info.st_ino, info.st_mtim.tv_sec, info.st_mtim.tv_nsec, info.st_size};
}

template <class T>
class FileCache {
 public:
  using Loader = std::function<std::shared_ptr<const T>(const std::filesystem::path&)>;

  explicit FileCache(Loader load) : load_(std::move(load)) {}

  // The loaded contents of `path`, or nullptr when the file does not exist. Loader errors propagate.
  std::shared_ptr<const T> get(const std::filesystem::path& path) {
    std::lock_guard lock(mutex_);
    const std::optional<FileStamp> stamp = file_stamp(path);
    if (!stamp) {
      entries_.erase(path);
      return nullptr;
    }
    auto found = entries_.find(path);
    if (found != entries_.end() && found->second.stamp == *stamp) return found->second.value;
    auto value = load_(path);
    entries_[path] = Entry{*stamp, value};
    return value;
  }

 private:
  struct Entry {
    FileStamp stamp;
    std::shared_ptr<const T> value;
  };
  Loader load_;
  std::mutex mutex_;
  std::map<std::filesystem::path, Entry> entries_;
};

}  // namespace attnviz::server
