#include "core/disk.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace attnviz {

uint64_t total_bytes(const std::vector<PlannedFile>& files) {
  uint64_t total = 0;
  for (const PlannedFile& f : files) total += f.bytes;
  return total;
}

std::string files_text(const std::vector<PlannedFile>& files) {
  std::string text;
  for (const PlannedFile& f : files) text += (text.empty() ? "" : ", ") + f.name + " " + size_text(f.bytes);
  return text;
}

DiskSpace disk_space(const fs::path& path) {
  fs::path at = fs::absolute(path).lexically_normal();
  std::error_code ec;
  while (!fs::exists(at, ec) && at.has_relative_path()) at = at.parent_path();
  struct statvfs s {};
  if (::statvfs(at.c_str(), &s) != 0)
    throw Error("cannot read the free space of " + at.string() + ": " + std::strerror(errno));
  const uint64_t unit = s.f_frsize ? s.f_frsize : s.f_bsize;
  return {static_cast<uint64_t>(s.f_bavail) * unit, unit ? unit : 4096};
}

uint64_t bytes_on_disk(const std::vector<PlannedFile>& files, uint64_t block) {
  uint64_t total = 0;
  for (const PlannedFile& f : files) total += (f.bytes + block - 1) / block * block + block;
  return total;
}

void require_disk_space(const fs::path& where, const std::vector<PlannedFile>& files,
                        const std::string& what) {
  const DiskSpace space = disk_space(where);
  const uint64_t needed = bytes_on_disk(files, space.block);
  if (needed > space.free)
    throw Error(what + " needs " + size_text(needed) + " on " + where.string() + ", " +
                size_text(space.free) + " free");
}

std::string size_text(uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  const char* units[] = {"kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes) / 1000;
  int unit = 0;
  while (value >= 999.95 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

}  // namespace attnviz
