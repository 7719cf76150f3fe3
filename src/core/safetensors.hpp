#pragma once
// Safetensors reading (memory-mapped, strictly validated) and writing (atomic); the dtype table.
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

// A tensor as a header describes it.
struct TensorSpec {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

struct TensorToWrite : TensorSpec {
  std::span<const std::byte> bytes;
};

// Where everything goes in a file of these tensors stored back to back in the given order: `header` is what
// precedes the data section (the u64 length, then the JSON with __metadata__ first and the tensors in data
// order, padded with spaces so that the data section starts 8-byte aligned); `offsets` are where each tensor
// begins in the data section. Error naming `file` for a duplicate or reserved name, a negative or overflowing
// shape, or a name or metadata value that is not UTF-8. Every writer of safetensors files builds its header
// here.
struct SafetensorsLayout {
  std::string header;
  std::vector<uint64_t> offsets;
  uint64_t data_size = 0;
};
SafetensorsLayout safetensors_layout(const std::vector<TensorSpec>& tensors,
                                     const std::map<std::string, std::string>& metadata,
                                     const std::filesystem::path& file);

// Writes a complete file under a temporary name and renames it into place (AtomicFile).
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace attnviz
