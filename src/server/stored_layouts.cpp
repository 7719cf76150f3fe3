#include "server/stored_layouts.hpp"

#include "core/error.hpp"
#include "core/fs.hpp"

namespace attnviz::server {

StoredLayouts::StoredLayouts(std::shared_ptr<const Run> run)
    : run_(std::move(run)),
      cache2d_([this](const std::filesystem::path& path) {
        return std::make_shared<const LayoutFile>(LayoutFile::read(*run_, path, 2));
      }),
      cache3d_([this](const std::filesystem::path& path) {
        return std::make_shared<const LayoutFile>(LayoutFile::read(*run_, path, 3));
      }) {}

std::shared_ptr<const LayoutFile> StoredLayouts::file(LayoutMethod method, int dim) {
  auto file = (dim == 2 ? cache2d_ : cache3d_).get(layout_file_path(run_->dir(), method, dim));
  if (file && !file->problem().empty()) throw Error(file->problem());
  return file;
}

}  // namespace attnviz::server
