#include "core/fs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "core/error.hpp"
#include "core/process.hpp"

namespace fs = std::filesystem;

namespace attnviz {

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error("cannot read " + path.string() + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::string contents{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  return contents;
}

fs::path temp_sibling(const fs::path& final_path) {
  fs::path temp = final_path;
  temp += ".tmp-" + std::to_string(::getpid());
  return temp;
}

std::vector<fs::path> remove_stale_temporaries(const fs::path& final_path) {
  const fs::path folder = final_path.parent_path().empty() ? fs::path(".") : final_path.parent_path();
  const std::string prefix = final_path.filename().string() + ".tmp-";
  std::vector<fs::path> removed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid = name.substr(prefix.size());
    if (pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (process_alive(std::stol(pid))) continue;
    std::error_code failed;
    fs::remove_all(entry.path(), failed);
    if (!failed) removed.push_back(entry.path());
  }
  return removed;
}

void write_file_atomic(const fs::path& path, std::string_view contents) {
  AtomicFile file(path);
  file.write(contents.data(), contents.size());
  file.commit();
}

AtomicFile::AtomicFile(fs::path final_path)
    : final_path_(std::move(final_path)), temp_path_(temp_sibling(final_path_)) {
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_) throw Error("cannot write " + temp_path_.string() + ": " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (!file_) return;  // committed
  std::fclose(file_);
  std::error_code ignored;
  fs::remove(temp_path_, ignored);
}

bool AtomicFile::write(const void* data, size_t size) {
  if (!failure_.empty()) return false;
  if (size > 0 && std::fwrite(data, 1, size, file_) != size) failure_ = std::strerror(errno);
  return failure_.empty();
}

void AtomicFile::commit() {
  std::FILE* file = file_;
  file_ = nullptr;
  if (std::fclose(file) != 0 && failure_.empty()) failure_ = std::strerror(errno);
  std::error_code renamed;
  if (failure_.empty()) fs::rename(temp_path_, final_path_, renamed);
  if (failure_.empty() && !renamed) return;
  std::error_code ignored;
  fs::remove(temp_path_, ignored);
  if (!failure_.empty()) throw Error("cannot write " + temp_path_.string() + ": " + failure_);
  throw Error("cannot rename " + temp_path_.string() + " to " + final_path_.string() + ": " +
              renamed.message());
}

StagingDir::StagingDir(fs::path final_path)
    : final_path_(std::move(final_path)), temp_path_(temp_sibling(final_path_)) {
  std::error_code ec;
  fs::remove_all(temp_path_, ec);  // left over from a killed process with the same pid
  fs::create_directories(temp_path_, ec);
  if (ec) throw Error("cannot create " + temp_path_.string() + ": " + ec.message());
}

StagingDir::~StagingDir() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(temp_path_, ignored);
}

void StagingDir::commit() {
  std::error_code ec;
  fs::remove_all(final_path_, ec);
  if (ec) throw Error("cannot replace " + final_path_.string() + ": " + ec.message());
  fs::rename(temp_path_, final_path_, ec);
  if (ec)
    throw Error("cannot rename " + temp_path_.string() + " to " + final_path_.string() + ": " + ec.message());
  committed_ = true;
}

}  // namespace attnviz
