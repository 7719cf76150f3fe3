#pragma once
// Reading a checkpoint's tensors by their base-model names, whatever task prefix the checkpoint uses
// ("transformer.h.0..." or "h.0..."), with every shape checked against what the config implies. Matrices
// (dense layers, token embeddings) stay in the checkpoint's memory mapping as stored (F32, F16, BF16): a
// model costs its file size once; small tensors (norms, biases, positions) are float32 copies.
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "model/checkpoint.hpp"
#include "model/model.hpp"
#include "model/ops.hpp"

namespace attnviz {

// The scale (and shift) of a LayerNorm or RMSNorm.
struct Norm {
  std::vector<float> gamma, beta;  // beta empty for RMSNorm
};

class Weights {
 public:
  // prefixes: the task prefixes this family's checkpoints may put before base names ("transformer.");
  // probe: a base name every checkpoint of the family has, used to find which prefix this one uses.
  // storage: whether matrix() leaves matrices mapped or copies them (model.hpp).
  Weights(const std::filesystem::path& model_dir, const std::vector<std::string>& prefixes,
          const std::string& probe, WeightStorage storage = WeightStorage::Mapped);

  // The tensor `name` (base name) converted to float32; Error if it is missing or its shape differs.
  std::vector<float> load(const std::string& name, const std::vector<int64_t>& shape);
  // The tensor `name` of `shape` as a matrix [shape[0], product of the rest], left in the mapping (F32, F16,
  // BF16; a float32 copy for F64, for F32 that is not float-aligned in its file, or when storage is Copied).
  // Error as load's.
  ops::StoredRows matrix(const std::string& name, const std::vector<int64_t>& shape);
  bool has(const std::string& name) const;
  // `name`.weight as [out, in] (torch.nn.Linear) and, with bias, `name`.bias as [out].
  ops::Linear linear(const std::string& name, int in, int out, bool bias = true);
  // `name`.weight and, with bias, `name`.bias, both [dim].
  Norm norm(const std::string& name, int dim, bool bias = true);
  // `name`.weight as [in, out] and `name`.bias as [out] (GPT-2's Conv1D).
  ops::Linear conv1d(const std::string& name, int in, int out);

  size_t parameters_loaded() const { return parameters_loaded_; }
  // Bytes of float32 copies handed out (load(), and matrix() where a tensor cannot stay mapped).
  size_t bytes_copied() const { return bytes_copied_; }
  const std::set<std::string>& dtypes_loaded() const { return dtypes_; }
  const Checkpoint& checkpoint() const { return checkpoint_; }

 private:
  // The tensor `name`, its shape and dtype checked; counted as loaded.
  const TensorView& checked(const std::string& name, const std::vector<int64_t>& shape);
  const TensorView& find(const std::string& name) const;
  ops::StoredRows copy(const TensorView& t, int rows, int cols);  // a float32 copy, counted

  Checkpoint checkpoint_;
  std::filesystem::path model_dir_;
  std::string prefix_;
  WeightStorage storage_;
  size_t parameters_loaded_ = 0;
  size_t bytes_copied_ = 0;
  std::set<std::string> dtypes_;
};

std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace attnviz
