#pragma once
// The weights of a model folder: a single model.safetensors, or shards listed by model.safetensors.index.json
// (the index is read here only, for loading and for downloading alike).
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/safetensors.hpp"

namespace attnviz {

// model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: shard file name}}. Every shard is
// a plain file name in the index's folder: letters, digits, '-', '_' and '.', not starting with '.' and
// without
// "..". Error naming the index otherwise, or when the weight map is missing or empty.
struct ShardIndex {
  std::map<std::string, std::vector<std::string>> tensors_by_shard;  // shard file name -> its tensors, sorted
};
ShardIndex read_shard_index(const std::filesystem::path& index_path);

class Checkpoint {
 public:
  // dir_or_file: a folder holding model.safetensors or model.safetensors.index.json, or a .safetensors file
  // (or an index) itself. The index and the shards must agree exactly: every listed tensor is in its shard,
  // and every shard tensor is listed.
  static Checkpoint open(const std::filesystem::path& dir_or_file);

  const TensorView* find(const std::string& name) const;
  const TensorView& at(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  // The mapped file holding `tensor` (one of this checkpoint's): whoever keeps it keeps the tensor's bytes.
  std::shared_ptr<const SafetensorsFile> file_of(const TensorView& tensor) const;
  const std::vector<std::shared_ptr<const SafetensorsFile>>& files() const { return files_; }
  const std::filesystem::path& path() const { return path_; }  // what was opened

 private:
  static Checkpoint open_index(const std::filesystem::path& index_path);
  void add(std::shared_ptr<const SafetensorsFile> file);
  std::filesystem::path path_;
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> index_;
};

}  // namespace attnviz
