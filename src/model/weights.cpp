#include "model/weights.hpp"

#include "core/error.hpp"

namespace attnviz {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Weights::Weights(const std::filesystem::path& model_dir, const std::vector<std::string>& prefixes,
                 const std::string& probe, WeightStorage storage)
    : checkpoint_(Checkpoint::open(model_dir)), model_dir_(model_dir), storage_(storage) {
  if (checkpoint_.find(probe)) return;
  for (const std::string& prefix : prefixes) {
    if (checkpoint_.find(prefix + probe)) {
      prefix_ = prefix;
      return;
    }
  }
  std::string tried;
  for (const std::string& prefix : prefixes) tried += ", '" + prefix + probe + "'";
  throw Error("checkpoint in " + model_dir.string() + " has no tensor '" + probe + "'" + tried +
              ": not a checkpoint of this model type");
}

bool Weights::has(const std::string& name) const { return checkpoint_.find(prefix_ + name) != nullptr; }

const TensorView& Weights::find(const std::string& name) const {
  const TensorView* t = checkpoint_.find(prefix_ + name);
  if (!t) throw Error("checkpoint in " + model_dir_.string() + " is missing tensor '" + prefix_ + name + "'");
  return *t;
}

const TensorView& Weights::checked(const std::string& name, const std::vector<int64_t>& shape) {
  const TensorView& t = find(name);
  if (t.shape != shape)
    throw Error("tensor '" + t.name + "' in " + t.file.string() + " has shape " + shape_string(t.shape) +
                ", but config.json implies " + shape_string(shape));
  if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16 && t.dtype != DType::F64)
    throw Error("tensor '" + t.name + "' in " + t.file.string() + " has dtype " + dtype_name(t.dtype) +
                ", expected a floating-point dtype");
  parameters_loaded_ += size_t(t.numel());
  dtypes_.insert(dtype_name(t.dtype));
  return t;
}

std::vector<float> Weights::load(const std::string& name, const std::vector<int64_t>& shape) {
  const TensorView& t = checked(name, shape);
  bytes_copied_ += size_t(t.numel()) * sizeof(float);
  return t.to_f32();
}

ops::StoredRows Weights::copy(const TensorView& t, int rows, int cols) {
  bytes_copied_ += size_t(t.numel()) * sizeof(float);
  return ops::owned_rows(t.to_f32(), rows, cols);
}

ops::StoredRows Weights::matrix(const std::string& name, const std::vector<int64_t>& shape) {
  const TensorView& t = checked(name, shape);
  int64_t cols = 1;
  for (size_t i = 1; i < shape.size(); ++i) cols *= shape[i];
  const int rows = int(shape.front());
  const bool aligned = reinterpret_cast<uintptr_t>(t.bytes.data()) % alignof(float) == 0;
  ops::Storage storage;
  if (storage_ == WeightStorage::Copied) return copy(t, rows, int(cols));
  if (t.dtype == DType::F16)
    storage = ops::Storage::F16;
  else if (t.dtype == DType::BF16)
    storage = ops::Storage::BF16;
  else if (t.dtype == DType::F32 && aligned)
    storage = ops::Storage::F32;
  else
    return copy(t, rows, int(cols));
  return {.owner = checkpoint_.file_of(t),
          .data = t.bytes.data(),
          .storage = storage,
          .rows = rows,
          .cols = int(cols)};
}

ops::Linear Weights::linear(const std::string& name, int in, int out, bool bias) {
  ops::Linear layer{
      .in = in, .out = out, .in_major = false, .weight = {matrix(name + ".weight", {out, in})}, .bias = {}};
  if (bias) layer.bias = load(name + ".bias", {out});
  return layer;
}

Norm Weights::norm(const std::string& name, int dim, bool bias) {
  Norm n{load(name + ".weight", {dim}), {}};
  if (bias) n.beta = load(name + ".bias", {dim});
  return n;
}

ops::Linear Weights::conv1d(const std::string& name, int in, int out) {
  return {.in = in,
          .out = out,
          .in_major = true,
          .weight = {matrix(name + ".weight", {in, out})},
          .bias = load(name + ".bias", {out})};
}

}  // namespace attnviz
