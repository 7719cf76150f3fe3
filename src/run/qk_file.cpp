#include "run/qk_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace attnviz {

namespace {

bool same_version(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

QkFile::QkFile(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0 || ::fstat(fd_, &opened_) != 0) {
    const std::string reason = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    throw Error("cannot open " + path.string() + ": " + reason);
  }
  try {
    // Validation maps the file for a moment and reads only its header; the mapping goes with `validated`.
    const auto validated = SafetensorsFile::open(path);
    for (const TensorView& tensor : validated->tensors()) {
      TensorView entry = tensor;
      entry.bytes = {};
      tensors_.emplace(entry.name, std::move(entry));
    }
    struct stat now {};
    if (::stat(path.c_str(), &now) != 0 || !same_version(now, opened_))
      throw Error(path.string() + " changed while it was being opened");
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

QkFile::~QkFile() { ::close(fd_); }

const TensorView& QkFile::at(const std::string& name) const {
  const auto found = tensors_.find(name);
  if (found == tensors_.end()) throw Error(path_.string() + ": no tensor \"" + name + "\"");
  return found->second;
}

void QkFile::read(uint64_t offset, std::span<std::byte> out) const {
  struct stat now {};
  if (::fstat(fd_, &now) != 0 || !same_version(now, opened_))
    throw Error(path_.string() + " changed after attnviz opened it (" + std::to_string(opened_.st_size) +
                " bytes then, " + std::to_string(now.st_size) + " now); open the run again");
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t count =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0)
      throw Error("cannot read " + path_.string() + " at byte " + std::to_string(offset + done) + ": " +
                  (count < 0 ? std::strerror(errno) : "the file ends there"));
    done += static_cast<size_t>(count);
  }
}

}  // namespace attnviz
