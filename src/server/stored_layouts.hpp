#pragma once
// The layouts a run has on disk: layouts/{method}-{dim}d.safetensors, tensor l{L}.h{H} of shape [2N, dim]
// F32. `attnviz layout` (or the demo) rewrites these files as heads complete; every call sees the current
// file.
#include <memory>
#include <span>
#include <vector>

#include "core/safetensors.hpp"
#include "layout/layout.hpp"
#include "run/run.hpp"
#include "server/file_cache.hpp"

namespace attnviz::server {

// One version of one layout file, with its tensors checked against the run.
struct LayoutFile {
  std::shared_ptr<const SafetensorsFile> file;
  // Little-endian float32 bytes of each head, [layer * num_heads + head]; empty when absent.
  std::vector<std::span<const std::byte>> heads;
  int ready = 0;  // heads present
};

class StoredLayouts {
 public:
  explicit StoredLayouts(std::shared_ptr<const Run> run);

  // The current file for one method and dimension; nullptr when it does not exist yet.
  std::shared_ptr<const LayoutFile> file(LayoutMethod method, int dim);

 private:
  std::shared_ptr<const LayoutFile> load(const std::filesystem::path& path, int dim) const;

  std::shared_ptr<const Run> run_;
  FileCache<LayoutFile> cache2d_, cache3d_;
};

}  // namespace attnviz::server
