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
#include <tuple>

namespace attnviz::server {

template <class T>
class FileCache {
 public:
  using Loader = std::function<std::shared_ptr<const T>(const std::filesystem::path&)>;

  explicit FileCache(Loader load) : load_(std::move(load)) {}

  // The loaded contents of `path`, or nullptr when the file does not exist. Loader errors propagate.
  std::shared_ptr<const T> get(const std::filesystem::path& path) {
    struct stat info {};
    std::lock_guard lock(mutex_);
    if (::stat(path.c_str(), &info) != 0) {
      entries_.erase(path);
      return nullptr;
    }
    Stamp stamp{info.st_ino, info.st_mtim.tv_sec, info.st_mtim.tv_nsec, info.st_size};
    auto found = entries_.find(path);
    if (found != entries_.end() && found->second.stamp == stamp) return found->second.value;
    auto value = load_(path);
    entries_[path] = Entry{stamp, value};
    return value;
  }

 private:
  using Stamp = std::tuple<ino_t, time_t, long, off_t>;
  struct Entry {
    Stamp stamp;
    std::shared_ptr<const T> value;
  };
  Loader load_;
  std::mutex mutex_;
  std::map<std::filesystem::path, Entry> entries_;
};

}  // namespace attnviz::server
