#pragma once
// Other attnviz processes working on the same files: whether a process still runs, which machine this is,
// and an exclusive lock that a job holds on its output for as long as it writes it (docs/format.md,
// "Writing safely").
#include <filesystem>
#include <string>

namespace attnviz {

// True when a process with this id exists (including one of another user); false for pid <= 0.
bool process_alive(long pid);

// This machine's name (gethostname), so that a reader on another machine does not judge a pid of this one.
std::string host_name();

// An exclusive flock(2) on `path`, created if needed and holding the owner's pid as text, for the lifetime of
// the object. The kernel drops the lock when the process dies (even by kill -9), so a lock file left behind
// never blocks anyone: the next job takes it over. The file is removed on release.
class FileLock {
 public:
  // Error "cannot write <what>: another attnviz process (pid N) is writing it ..." when another process
  // holds the lock; `what` names the thing protected (e.g. the run folder "runs/x"). With `wait`, waits for
  // the lock instead (processes that take turns, such as the shards of one layout job merging).
  FileLock(std::filesystem::path path, const std::string& what, bool wait = false);
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace attnviz
