#pragma once
// What a job will write, and whether the filesystem it writes to can hold it: the check `attnviz extract` and
// `attnviz layout` make before they start (docs/sizing.md), so that a job that cannot fit is refused with the
// numbers instead of failing half-way on a full disk.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace attnviz {

// One file a job will write and its size in bytes (exact, or an upper bound where the file's size depends on
// figures not known before the job: docs/sizing.md says which).
struct PlannedFile {
  std::string name;  // as shown to the user: "qk.safetensors", "layouts/tsne-2d.safetensors"
  uint64_t bytes = 0;
};

uint64_t total_bytes(const std::vector<PlannedFile>& files);
// "qk.safetensors 26.5 MB, tokens.json 110.0 kB": the files with their sizes, for the jobs' first line.
std::string files_text(const std::vector<PlannedFile>& files);

// The space of the filesystem holding `path` (its nearest existing ancestor): bytes free to an unprivileged
// writer (statvfs f_bavail × f_frsize) and its block size. Error "cannot read the free space of PATH: ...".
struct DiskSpace {
  uint64_t free = 0;
  uint64_t block = 4096;
};
DiskSpace disk_space(const std::filesystem::path& path);

// What `files` take on a filesystem of `block`-byte blocks: each rounded up to whole blocks, plus one block
// each for what the filesystem keeps beside the data (extent or indirect blocks, the directory entry).
uint64_t bytes_on_disk(const std::vector<PlannedFile>& files, uint64_t block);

// Error "<what> needs 1.2 GB on <where>, 300.0 MB free" when `files` do not fit the free space of the
// filesystem holding `where`.
void require_disk_space(const std::filesystem::path& where, const std::vector<PlannedFile>& files,
                        const std::string& what);

// "512 B", "12.3 kB", "1.2 MB", "3.4 GB" (powers of 1000, as df -H and most file managers show sizes).
std::string size_text(uint64_t bytes);

}  // namespace attnviz
