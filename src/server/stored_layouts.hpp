#pragma once
// The layout files a run has on disk (layout/layout_file.hpp). `attnviz layout` (or the demo) rewrites them
// as heads complete; every call sees the current file.
#include <memory>

#include "layout/layout_file.hpp"
#include "run/run.hpp"
#include "server/file_cache.hpp"

namespace attnviz::server {

class StoredLayouts {
 public:
  explicit StoredLayouts(std::shared_ptr<const Run> run);

  // The current file for one method and dimension; nullptr when it does not exist yet. Error (answered 500)
  // when it does not fit the run (LayoutFile::problem).
  std::shared_ptr<const LayoutFile> file(LayoutMethod method, int dim);

 private:
  std::shared_ptr<const Run> run_;
  FileCache<LayoutFile> cache2d_, cache3d_;
};

}  // namespace attnviz::server
