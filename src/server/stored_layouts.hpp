#pragma once
// The layout files a run has on disk (layout/layout_file.hpp). `attnviz layout` (or the demo) rewrites them
// as heads complete; every call sees the current file. A broken file makes only its own routes fail.
#include <memory>

#include "layout/layout_file.hpp"
#include "run/run.hpp"
#include "server/file_cache.hpp"

namespace attnviz::server {

class StoredLayouts {
 public:
  explicit StoredLayouts(std::shared_ptr<const Run> run);

  // The current file for one method and dimension, as it is (its problem() may say it is broken); nullptr
  // when it does not exist yet.
  std::shared_ptr<const LayoutFile> current(LayoutMethod method, int dim);
  // The same for the routes that serve its heads: Error (answered 500) naming the file when it has a problem.
  std::shared_ptr<const LayoutFile> file(LayoutMethod method, int dim);

 private:
  std::shared_ptr<const Run> run_;
  FileCache<LayoutFile> cache2d_, cache3d_;
};

}  // namespace attnviz::server
