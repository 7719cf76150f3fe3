#include "core/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "core/error.hpp"

namespace attnviz {

bool process_alive(long pid) {
  if (pid <= 0 || pid > INT_MAX) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

namespace {

// The pid a lock file names, or "unknown" when it names none.
std::string holder_of(const std::filesystem::path& path) {
  char text[32] = {};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "unknown";
  const ssize_t got = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (got <= 0) return "unknown";
  std::string pid(text, static_cast<size_t>(got));
  return pid.find_first_not_of("0123456789") == std::string::npos ? pid : "unknown";
}

bool same_file(int fd, const std::filesystem::path& path) {
  struct stat opened {
  }, named{};
  return ::fstat(fd, &opened) == 0 && ::stat(path.c_str(), &named) == 0 && opened.st_dev == named.st_dev &&
         opened.st_ino == named.st_ino;
}

}  // namespace

// Steps: open (creating) the file, try the lock without waiting, and check that the path still names the
// file locked (a releasing holder may have removed it meanwhile; then try again on the new file).
FileLock::FileLock(std::filesystem::path path, const std::string& what, bool wait) : path_(std::move(path)) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error("cannot create the lock file " + path_.string() + ": " + std::strerror(errno));
    int status;
    while ((status = ::flock(fd_, wait ? LOCK_EX : LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
    }
    if (status != 0) {
      const int error = errno;
      ::close(fd_);
      fd_ = -1;
      if (error != EWOULDBLOCK) throw Error("cannot lock " + path_.string() + ": " + std::strerror(error));
      throw Error("cannot write " + what + ": another attnviz process (pid " + holder_of(path_) +
                  ") is writing it (lock file " + path_.string() + "); wait for it to finish or stop it");
    }
    if (same_file(fd_, path_)) {
      const std::string pid = std::to_string(::getpid());
      if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
        // The pid is only for messages; the lock holds without it.
      }
      return;
    }
    ::close(fd_);
    fd_ = -1;
  }
  throw Error("cannot lock " + path_.string() + ": it keeps being replaced");
}

// Removed while still locked, so a process that opens the old file afterwards finds it unlinked (same_file
// fails) and starts over on a new one.
FileLock::~FileLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace attnviz
