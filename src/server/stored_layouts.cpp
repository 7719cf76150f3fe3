#include "server/stored_layouts.hpp"

#include "core/error.hpp"
#include "core/fs.hpp"

namespace attnviz::server {

StoredLayouts::StoredLayouts(std::shared_ptr<const Run> run)
    : run_(std::move(run)),
      cache2d_([this](const std::filesystem::path& path) { return load(path, 2); }),
      cache3d_([this](const std::filesystem::path& path) { return load(path, 3); }) {}

std::shared_ptr<const LayoutFile> StoredLayouts::file(LayoutMethod method, int dim) {
  std::string name = std::string(layout_method_name(method)) + "-" + std::to_string(dim) + "d.safetensors";
  auto path = run_->dir() / "layouts" / name;
  return (dim == 2 ? cache2d_ : cache3d_).get(path);
}

std::shared_ptr<const LayoutFile> StoredLayouts::load(const std::filesystem::path& path, int dim) const {
  const RunModel& model = run_->model();
  const int64_t points = 2 * run_->num_tokens();
  auto layout = std::make_shared<LayoutFile>();
  // Read, not mapped: a layout file truncated in place must give an error, not SIGBUS in a later request.
  layout->file = SafetensorsFile::parse(read_file(path), path);
  layout->heads.resize(static_cast<size_t>(model.num_layers) * model.num_heads);
  for (int layer = 0; layer < model.num_layers; ++layer) {
    for (int head = 0; head < model.num_heads; ++head) {
      std::string name = "l" + std::to_string(layer) + ".h" + std::to_string(head);
      const TensorView* tensor = layout->file->find(name);
      if (!tensor) continue;
      if (tensor->dtype != DType::F32 || tensor->shape != std::vector<int64_t>{points, dim}) {
        throw Error(path.string() + ": tensor " + name + " should be F32 [" + std::to_string(points) + ", " +
                    std::to_string(dim) +
                    "] for this run; the layouts are stale, rerun attnviz layout --force");
      }
      layout->heads[static_cast<size_t>(layer) * model.num_heads + head] = tensor->bytes;
      ++layout->ready;
    }
  }
  return layout;
}

}  // namespace attnviz::server
