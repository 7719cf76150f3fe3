#include "model/checkpoint.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/json.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace attnviz {

namespace {

[[noreturn]] void fail(const fs::path& file, const std::string& message) {
  throw Error(file.string() + ": " + message);
}

std::string quoted(const std::string& name) { return "tensor \"" + name + "\""; }

bool plain_file_name(const std::string& name) {
  const auto allowed = [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; };
  return !name.empty() && name[0] != '.' && name.find("..") == std::string::npos &&
         std::all_of(name.begin(), name.end(), allowed);
}

}  // namespace

ShardIndex read_shard_index(const fs::path& index_path) {
  const json index = read_json_file(index_path);
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    fail(index_path, "expected an object with a \"weight_map\" object");
  const json& weight_map = index["weight_map"];
  if (weight_map.empty()) fail(index_path, "\"weight_map\" is empty");
  ShardIndex shards;
  for (const auto& [tensor, shard] : weight_map.items()) {
    const std::string name = shard.is_string() ? shard.get<std::string>() : "";
    if (!plain_file_name(name))
      fail(index_path,
           quoted(tensor) + " maps to " + shard.dump() + ", not a file name in the checkpoint folder");
    shards.tensors_by_shard[name].push_back(tensor);  // the weight map iterates its keys sorted
  }
  return shards;
}

Checkpoint Checkpoint::open(const fs::path& dir_or_file) {
  std::error_code ec;
  if (fs::is_directory(dir_or_file, ec)) {
    // The same preference as transformers: a single file first, then a sharded index.
    if (fs::exists(dir_or_file / "model.safetensors", ec)) return open(dir_or_file / "model.safetensors");
    if (fs::exists(dir_or_file / "model.safetensors.index.json", ec))
      return open_index(dir_or_file / "model.safetensors.index.json");
    fail(dir_or_file, "no model.safetensors or model.safetensors.index.json in this folder");
  }
  if (!fs::exists(dir_or_file, ec)) fail(dir_or_file, "no such file or folder");
  if (dir_or_file.string().ends_with(".index.json")) return open_index(dir_or_file);
  Checkpoint checkpoint;
  checkpoint.path_ = dir_or_file;
  checkpoint.add(SafetensorsFile::open(dir_or_file));
  return checkpoint;
}

void Checkpoint::add(std::shared_ptr<const SafetensorsFile> file) {
  for (const auto& tensor : file->tensors()) index_[tensor.name] = &tensor;
  files_.push_back(std::move(file));
}

std::shared_ptr<const SafetensorsFile> Checkpoint::file_of(const TensorView& tensor) const {
  for (const auto& file : files_)
    if (file->find(tensor.name) == &tensor) return file;
  throw Error("tensor '" + tensor.name + "' is not in the checkpoint " + path_.string());
}

Checkpoint Checkpoint::open_index(const fs::path& index_path) {
  Checkpoint checkpoint;
  checkpoint.path_ = index_path;
  for (const auto& [shard_name, names] : read_shard_index(index_path).tensors_by_shard) {
    const fs::path shard_path = index_path.parent_path() / shard_name;
    std::error_code ec;
    if (!fs::is_regular_file(shard_path, ec))
      fail(index_path, quoted(names.front()) + " maps to " + shard_name + ", which does not exist");
    auto file = SafetensorsFile::open(shard_path);
    for (const auto& name : names) {
      if (!file->find(name)) fail(index_path, quoted(name) + " is not in its shard " + shard_path.string());
    }
    for (const auto& tensor : file->tensors()) {
      if (!std::binary_search(names.begin(), names.end(), tensor.name))
        fail(index_path, "shard " + shard_path.string() + " holds " + quoted(tensor.name) +
                             ", which the index does not map to it");
    }
    checkpoint.add(std::move(file));
  }
  return checkpoint;
}

const TensorView* Checkpoint::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

const TensorView& Checkpoint::at(const std::string& name) const {
  if (const TensorView* tensor = find(name)) return *tensor;
  fail(path_, quoted(name) + " not found in the checkpoint");
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> names;
  names.reserve(index_.size());
  for (const auto& [name, tensor] : index_) names.push_back(name);
  return names;
}

}  // namespace attnviz
