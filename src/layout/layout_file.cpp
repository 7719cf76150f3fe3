#include "layout/layout_file.hpp"

#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/fs.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

// What a head's tensors must be: for a run of `tokens` tokens with head_dim, in a file of `dim`.
struct FileShape {
  int64_t tokens;
  int dim, head_dim;
};

// The tensors of one head, in the order they are written: each named l{L}.h{H}{suffix}, F32 of `shape`.
// The first is required; an optional one may be absent (older files), but when present must fit.
struct HeadTensor {
  const char* suffix;
  std::vector<float> HeadLayout::*values;
  std::vector<int64_t> (*shape)(const FileShape&);
  bool optional;
};

constexpr HeadTensor kHeadTensors[] = {
    {"", &HeadLayout::points,
     [](const FileShape& s) {
       return std::vector<int64_t>{2 * s.tokens, s.dim};
     },
     false},
    {".scale", &HeadLayout::scale, [](const FileShape&) { return std::vector<int64_t>{1}; }, true},
    {".shift", &HeadLayout::shift, [](const FileShape& s) { return std::vector<int64_t>{s.head_dim}; }, true},
    {".mean", &HeadLayout::mean, [](const FileShape& s) { return std::vector<int64_t>{s.head_dim}; }, true},
    {".components", &HeadLayout::components,
     [](const FileShape& s) {
       return std::vector<int64_t>{s.dim, s.head_dim};
     },
     true},
};

// The header metadata of every layout file.
std::map<std::string, std::string> file_metadata(const Run& run, LayoutMethod method, int dim) {
  return {{"format", "attnviz-layout"},
          {"method", layout_method_name(method)},
          {"dim", std::to_string(dim)},
          {"tokens", std::to_string(run.num_tokens())}};
}

std::string shape_text(DType dtype, const std::vector<int64_t>& shape) {
  std::string text = std::string(dtype_name(dtype)) + " [";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// Whether every float32 of `tensor` is finite: a NaN or infinity in a file would reach the probe's grid
// indices and the neighbours' sort as undefined behaviour.
bool all_finite(const TensorView& tensor) {
  for (size_t at = 0; at + sizeof(float) <= tensor.bytes.size(); at += sizeof(float)) {
    float value;
    std::memcpy(&value, tensor.bytes.data() + at, sizeof value);
    if (!std::isfinite(value)) return false;
  }
  return true;
}

}  // namespace

std::string layout_file_name(LayoutMethod method, int dim) {
  return std::string(layout_method_name(method)) + "-" + std::to_string(dim) + "d";
}

fs::path layout_file_path(const fs::path& run_dir, LayoutMethod method, int dim) {
  return run_dir / "layouts" / (layout_file_name(method, dim) + ".safetensors");
}

std::string head_tensor_name(int layer, int head) {
  return "l" + std::to_string(layer) + ".h" + std::to_string(head);
}

LayoutFile LayoutFile::read(const Run& run, const fs::path& path, int dim) {
  const RunModel& model = run.model();
  LayoutFile layout;
  layout.layers_ = model.num_layers;
  layout.heads_per_layer_ = model.num_heads;
  layout.tensors_.resize(static_cast<size_t>(model.num_layers) * model.num_heads);
  std::error_code ec;
  if (!fs::exists(path, ec)) return layout;
  layout.exists_ = true;
  try {
    // Read, not mapped: a file truncated in place must give an error, not SIGBUS in a later request.
    layout.file_ = SafetensorsFile::parse(read_file(path), path);
  } catch (const Error& e) {
    layout.problem_ = e.what();
    return layout;
  }
  const FileShape expected{run.num_tokens(), dim, model.head_dim};
  int misfits = 0;
  for (int layer = 0; layer < model.num_layers; ++layer) {
    for (int head = 0; head < model.num_heads; ++head) {
      std::vector<const TensorView*> found;
      for (const HeadTensor& kind : kHeadTensors) {
        const std::string name = head_tensor_name(layer, head) + kind.suffix;
        const TensorView* tensor = layout.file_->find(name);
        if (!tensor && kind.optional) {
          found.push_back(nullptr);
          continue;
        }
        if (!tensor) break;
        const std::vector<int64_t> shape = kind.shape(expected);
        if (tensor->dtype != DType::F32 || tensor->shape != shape) {
          if (misfits++ == 0)
            layout.problem_ = path.string() + ": tensor " + name + " is " +
                              shape_text(tensor->dtype, tensor->shape) + ", this run needs " +
                              shape_text(DType::F32, shape) + ": the file was laid out for another run";
          break;
        }
        if (!all_finite(*tensor)) {
          if (misfits++ == 0)
            layout.problem_ =
                path.string() + ": tensor " + name + " holds a value that is not a finite number";
          break;
        }
        found.push_back(tensor);
      }
      if (found.size() != std::size(kHeadTensors)) continue;
      layout.tensors_[static_cast<size_t>(layer) * model.num_heads + head] = std::move(found);
      ++layout.ready_;
    }
  }
  if (misfits > 1) layout.problem_ += " (" + std::to_string(misfits) + " heads do not fit)";
  return layout;
}

size_t LayoutFile::index(int layer, int head) const {
  if (layer < 0 || layer >= layers_ || head < 0 || head >= heads_per_layer_)
    throw Error("head " + std::to_string(layer) + ":" + std::to_string(head) +
                " is out of range: the run has " + std::to_string(layers_) + " layers x " +
                std::to_string(heads_per_layer_) + " heads");
  return static_cast<size_t>(layer) * heads_per_layer_ + head;
}

std::vector<HeadId> LayoutFile::heads() const {
  std::vector<HeadId> heads;
  for (int layer = 0; layer < layers_; ++layer)
    for (int head = 0; head < heads_per_layer_; ++head)
      if (has(layer, head)) heads.emplace_back(layer, head);
  return heads;
}

std::span<const std::byte> LayoutFile::points_bytes(int layer, int head) const {
  const auto& tensors = tensors_[index(layer, head)];
  return tensors.empty() ? std::span<const std::byte>() : tensors[0]->bytes;
}

HeadLayout LayoutFile::head(int layer, int head) const {
  const auto& tensors = tensors_[index(layer, head)];
  if (tensors.empty())
    throw Error((file_ ? file_->path().string() : std::string("the layout file")) + ": no head " +
                head_tensor_name(layer, head));
  HeadLayout values;
  for (size_t i = 0; i < std::size(kHeadTensors); ++i)
    if (tensors[i]) values.*kHeadTensors[i].values = tensors[i]->to_f32();
  return values;
}

void write_layout_file(const Run& run, LayoutMethod method, int dim,
                       const std::map<HeadId, HeadLayout>& computed) {
  write_layout_file(run, layout_file_path(run.dir(), method, dim), method, dim, computed);
}

void write_layout_file(const Run& run, const fs::path& path, LayoutMethod method, int dim,
                       const std::map<HeadId, HeadLayout>& computed) {
  std::map<HeadId, HeadLayout> all = computed;
  const LayoutFile stored = LayoutFile::read(run, path, dim);
  for (const HeadId& h : stored.heads())
    if (!all.count(h)) all[h] = stored.head(h.first, h.second);
  std::vector<TensorToWrite> tensors;
  for (const auto& [h, values] : all)
    for (const HeadTensor& kind : kHeadTensors) {
      const std::vector<float>& v = values.*kind.values;
      if (v.empty() && kind.optional) continue;
      tensors.push_back({{head_tensor_name(h.first, h.second) + kind.suffix, DType::F32,
                          kind.shape({run.num_tokens(), dim, run.model().head_dim})},
                         std::as_bytes(std::span<const float>(v))});
    }
  write_safetensors(path, tensors, file_metadata(run, method, dim));
}

uint64_t layout_file_bytes(const Run& run, LayoutMethod method, int dim, const std::vector<HeadId>& heads) {
  const FileShape shape{run.num_tokens(), dim, run.model().head_dim};
  const bool pca = method == LayoutMethod::PCA;
  std::vector<TensorSpec> tensors;
  for (const HeadId& h : heads)
    for (const HeadTensor& kind : kHeadTensors) {
      if (!pca && (kind.values == &HeadLayout::mean || kind.values == &HeadLayout::components)) continue;
      tensors.push_back({head_tensor_name(h.first, h.second) + kind.suffix, DType::F32, kind.shape(shape)});
    }
  const SafetensorsLayout layout =
      safetensors_layout(tensors, file_metadata(run, method, dim), "layout file");
  return layout.header.size() + layout.data_size;
}

}  // namespace attnviz
