#include "core/fs.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "core/error.hpp"

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

void write_file_atomic(const fs::path& path, std::string_view contents) {
  const fs::path temp = temp_sibling(path);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + temp.string() + ": " + std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temp, ignored);
      throw Error("cannot write " + temp.string() + ": " + std::strerror(errno));
    }
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw Error("cannot rename " + temp.string() + " to " + path.string() + ": " + ec.message());
  }
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
