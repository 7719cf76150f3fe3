#pragma once
// Safetensors reading (memory-mapped, strictly validated) and writing (atomic).
// Format: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
// then the data section. Every violation is an attnviz::Error naming the file (and tensor).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace attnviz {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;  // points into the mapped file
  std::filesystem::path file;
  uint64_t offset = 0;  // where `bytes` start in the file, for a reader that reads instead of mapping

  int64_t numel() const;
  // Converts any numeric dtype to float32 (F16/BF16 exactly, integers by value).
  std::vector<float> to_f32() const;
  void to_f32(std::span<float> out) const;  // out.size() must equal numel()
};

// One memory-mapped .safetensors file.
class SafetensorsFile {
 public:
  static std::shared_ptr<const SafetensorsFile> open(const std::filesystem::path& path);
  // Validates bytes already in memory (a copy is kept); `name` stands for the file in error messages.
  static std::shared_ptr<const SafetensorsFile> parse(std::string bytes, const std::filesystem::path& name);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::vector<TensorView>& tensors() const { return tensors_; }  // sorted by name
  const TensorView* find(const std::string& name) const;               // nullptr when absent
  const TensorView& at(const std::string& name) const;  // Error naming file and tensor when absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  SafetensorsFile() = default;
  void load(std::span<const std::byte> file);
  std::filesystem::path path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::string owned_;  // the bytes of a parsed (not mapped) file
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A checkpoint: a single model.safetensors, a sharded one (model.safetensors.index.json), or one file.
class Checkpoint {
 public:
  // dir_or_file: a folder holding model.safetensors or model.safetensors.index.json, or a .safetensors file.
  static Checkpoint open(const std::filesystem::path& dir_or_file);

  const TensorView* find(const std::string& name) const;
  const TensorView& at(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  const std::vector<std::shared_ptr<const SafetensorsFile>>& files() const { return files_; }
  const std::filesystem::path& path() const { return path_; }  // what was opened

 private:
  static Checkpoint open_index(const std::filesystem::path& index_path);
  void add(std::shared_ptr<const SafetensorsFile> file);
  std::filesystem::path path_;
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> index_;
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;
};

// Writes a complete file under a temporary name and renames it into place.
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// IEEE half and bfloat16 conversions, shared by readers and writers.
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);  // round to nearest even; NaN stays NaN

}  // namespace attnviz
