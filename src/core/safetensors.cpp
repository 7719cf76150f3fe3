#include "core/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/half.hpp"
#include "core/json.hpp"

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace fs = std::filesystem;
using nlohmann::json;

namespace attnviz {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the limit of the reference implementation

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4},   {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4},   {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::BOOL, "BOOL", 1},
};

const DTypeInfo& info(DType dtype) {
  for (const auto& entry : kDTypes)
    if (entry.dtype == dtype) return entry;
  throw Error("invalid DType value " + std::to_string(static_cast<int>(dtype)));
}

std::optional<DType> parse_dtype(const std::string& name) {
  for (const auto& entry : kDTypes)
    if (name == entry.name) return entry.dtype;
  return std::nullopt;
}

[[noreturn]] void fail(const fs::path& file, const std::string& message) {
  throw Error(file.string() + ": " + message);
}

std::string quoted(const std::string& name) { return "tensor \"" + name + "\""; }

std::string range_text(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

// One header entry, checked on its own; the layout of all entries together is checked afterwards.
struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

std::vector<int64_t> parse_shape(const fs::path& file, const std::string& where, const json& shape) {
  if (!shape.is_array()) fail(file, where + ": \"shape\" must be an array of non-negative integers");
  std::vector<int64_t> dims;
  for (const auto& dim : shape) {
    if (!dim.is_number_unsigned() || dim.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      fail(file, where + ": \"shape\" must be an array of non-negative integers, got " + shape.dump());
    dims.push_back(dim.get<int64_t>());
  }
  return dims;
}

// The byte size of shape × itemsize, or an error when it does not fit in 64 bits.
uint64_t byte_size(const fs::path& file, const std::string& where, const std::vector<int64_t>& shape,
                   size_t itemsize) {
  uint64_t bytes = itemsize;
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(bytes, uint64_t(dim), &bytes) ||
        bytes > uint64_t(std::numeric_limits<int64_t>::max()))
      fail(file,
           where + ": shape " + json(shape).dump() + " overflows: its byte size does not fit in 64 bits");
  }
  return bytes;
}

Entry parse_entry(const fs::path& file, const std::string& name, const json& value, uint64_t data_size) {
  const std::string where = quoted(name);
  if (!value.is_object()) fail(file, where + ": expected an object with dtype, shape and data_offsets");
  for (const auto& [key, field] : value.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      fail(file, where + ": unknown field \"" + key + "\"");
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(key)) fail(file, where + ": missing \"" + key + "\"");
  }
  const json& dtype_value = value["dtype"];
  if (!dtype_value.is_string()) fail(file, where + ": \"dtype\" must be a string");
  const auto dtype = parse_dtype(dtype_value.get<std::string>());
  if (!dtype) fail(file, where + ": unknown dtype \"" + dtype_value.get<std::string>() + "\"");

  Entry entry{name, *dtype, parse_shape(file, where, value["shape"]), 0, 0};
  const uint64_t expected = byte_size(file, where, entry.shape, dtype_size(*dtype));

  const json& offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    fail(file, where + ": \"data_offsets\" must be [begin, end] with non-negative integers");
  entry.begin = offsets[0].get<uint64_t>();
  entry.end = offsets[1].get<uint64_t>();
  if (entry.begin > entry.end)
    fail(file, where + ": data_offsets " + offsets.dump() + " end before they begin");
  if (entry.end > data_size)
    fail(file, where + ": data_offsets " + offsets.dump() + " point past the end of the data section (" +
                   std::to_string(data_size) + " bytes)");
  if (entry.end - entry.begin != expected)
    fail(file, where + ": shape " + json(entry.shape).dump() + " of " + dtype_name(*dtype) + " needs " +
                   std::to_string(expected) + " bytes but data_offsets " + offsets.dump() + " span " +
                   std::to_string(entry.end - entry.begin));
  return entry;
}

// The tensors must tile the data section exactly: no overlaps (a write to one would change another),
// no holes (unaccounted bytes can hide data).
void check_layout(const fs::path& file, std::vector<const Entry*> entries, uint64_t data_size) {
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->begin, a->end) < std::tie(b->begin, b->end);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* entry : entries) {
    if (entry->begin < covered)
      fail(file, quoted(entry->name) + " bytes " + range_text(entry->begin, entry->end) + " overlap " +
                     quoted(previous->name) + " bytes " + range_text(previous->begin, previous->end));
    if (entry->begin > covered)
      fail(file, "gap in the data section: bytes " + range_text(covered, entry->begin) +
                     " belong to no tensor (before " + quoted(entry->name) + ")");
    covered = entry->end;
    previous = entry;
  }
  if (covered != data_size)
    fail(file, "gap in the data section: bytes " + range_text(covered, data_size) +
                   " at its end belong to no tensor");
}

template <typename T, typename Convert>
void convert_each(const std::byte* source, std::span<float> out, Convert convert) {
  for (size_t i = 0; i < out.size(); ++i) {
    T value;
    std::memcpy(&value, source + i * sizeof(T), sizeof(T));
    out[i] = convert(value);
  }
}

}  // namespace

const char* dtype_name(DType dtype) { return info(dtype).name; }
size_t dtype_size(DType dtype) { return info(dtype).size; }

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t dim : shape) n *= dim;
  return n;
}

std::vector<float> TensorView::to_f32() const {
  std::vector<float> out(static_cast<size_t>(numel()));
  to_f32(out);
  return out;
}

void TensorView::to_f32(std::span<float> out) const {
  const auto n = static_cast<size_t>(numel());
  if (out.size() != n || bytes.size() != n * dtype_size(dtype))
    throw Error(file.string() + ": " + quoted(name) + ": cannot convert " + std::to_string(bytes.size()) +
                " bytes of " + dtype_name(dtype) + " into " + std::to_string(out.size()) + " floats");
  if (n == 0) return;  // an empty span may hold null pointers, which memcpy must not get
  const std::byte* source = bytes.data();
  auto cast = [](auto value) { return static_cast<float>(value); };
  switch (dtype) {
    case DType::F32:
      std::memcpy(out.data(), source, n * sizeof(float));
      break;
    case DType::F64:
      convert_each<double>(source, out, cast);
      break;
    case DType::F16:
      f16_to_f32_row(source, out.data(), n);
      break;
    case DType::BF16:
      bf16_to_f32_row(source, out.data(), n);
      break;
    case DType::I64:
      convert_each<int64_t>(source, out, cast);
      break;
    case DType::I32:
      convert_each<int32_t>(source, out, cast);
      break;
    case DType::I16:
      convert_each<int16_t>(source, out, cast);
      break;
    case DType::I8:
      convert_each<int8_t>(source, out, cast);
      break;
    case DType::U8:
      convert_each<uint8_t>(source, out, cast);
      break;
    case DType::BOOL:
      convert_each<uint8_t>(source, out, [](uint8_t v) { return v ? 1.0f : 0.0f; });
      break;
  }
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const fs::path& path) {
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile);
  file->path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file");
  }
  const auto size = static_cast<size_t>(status.st_size);
  if (size > 0) {
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int mmap_errno = errno;
    ::close(fd);
    if (map == MAP_FAILED) throw Error("cannot map " + path.string() + ": " + std::strerror(mmap_errno));
    file->map_ = map;
    file->map_size_ = size;
  } else {
    ::close(fd);
  }
  file->load({static_cast<const std::byte*>(file->map_), size});
  return file;
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::parse(std::string bytes, const fs::path& name) {
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile);
  file->path_ = name;
  file->owned_ = std::move(bytes);
  file->load(std::as_bytes(std::span(file->owned_)));
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_size_);
}

void SafetensorsFile::load(std::span<const std::byte> file) {
  if (file.empty()) fail(path_, "empty file, not a safetensors file");
  if (file.size() < 8)
    fail(path_, "file is " + std::to_string(file.size()) + " bytes, too short for the 8-byte header length");
  uint64_t header_size;
  std::memcpy(&header_size, file.data(), 8);
  if (header_size > kMaxHeaderBytes)
    fail(path_, "header length " + std::to_string(header_size) + " exceeds the limit of 100 MB");
  if (header_size > file.size() - 8)
    fail(path_, "header length " + std::to_string(header_size) + " runs past the end of the file (" +
                    std::to_string(file.size()) + " bytes)");
  const std::string_view header_text(reinterpret_cast<const char*>(file.data() + 8), header_size);
  const json header = parse_json_strict(header_text, path_.string() + ": header");
  if (!header.is_object()) fail(path_, "header is not a JSON object");

  const std::span<const std::byte> data = file.subspan(8 + header_size);
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key != "__metadata__") {
      entries.push_back(parse_entry(path_, key, value, data.size()));
      continue;
    }
    if (!value.is_object()) fail(path_, "__metadata__ must be an object of strings");
    for (const auto& [meta_key, meta_value] : value.items()) {
      if (!meta_value.is_string())
        fail(path_, "__metadata__ must map strings to strings, but \"" + meta_key + "\" is a " +
                        meta_value.type_name());
      metadata_[meta_key] = meta_value.get<std::string>();
    }
  }
  std::vector<const Entry*> layout;
  for (const auto& entry : entries) layout.push_back(&entry);
  check_layout(path_, layout, data.size());

  tensors_.reserve(entries.size());  // in name order, as the header object iterates
  for (auto& entry : entries) {
    tensors_.push_back({std::move(entry.name), entry.dtype, std::move(entry.shape),
                        data.subspan(entry.begin, entry.end - entry.begin), path_,
                        8 + header_size + entry.begin});
  }
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it =
      std::lower_bound(tensors_.begin(), tensors_.end(), name,
                       [](const TensorView& tensor, const std::string& key) { return tensor.name < key; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

const TensorView& SafetensorsFile::at(const std::string& name) const {
  if (const TensorView* tensor = find(name)) return *tensor;
  fail(path_, "no " + quoted(name));
}

SafetensorsLayout safetensors_layout(const std::vector<TensorSpec>& tensors,
                                     const std::map<std::string, std::string>& metadata,
                                     const fs::path& file) {
  // The header object keeps __metadata__ first and the tensors in data order; each tensor's fields sorted.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  SafetensorsLayout layout;
  for (const TensorSpec& tensor : tensors) {
    const std::string where = "cannot write " + quoted(tensor.name);
    if (tensor.name == "__metadata__" || header.contains(tensor.name))
      fail(file, where + ": duplicate or reserved name");
    if (std::any_of(tensor.shape.begin(), tensor.shape.end(), [](int64_t dim) { return dim < 0; }))
      fail(file, where + ": negative dimension in shape " + json(tensor.shape).dump());
    const uint64_t size = byte_size(file, where, tensor.shape, dtype_size(tensor.dtype));
    header[tensor.name] = json{{"dtype", dtype_name(tensor.dtype)},
                               {"shape", tensor.shape},
                               {"data_offsets", {layout.data_size, layout.data_size + size}}};
    layout.offsets.push_back(layout.data_size);
    layout.data_size += size;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {  // a name or metadata value that is not valid UTF-8
    fail(file, std::string("cannot write header: ") + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
  const uint64_t text_size = text.size();       // little-endian on every platform attnviz builds for
  layout.header.assign(reinterpret_cast<const char*>(&text_size), sizeof(text_size));
  layout.header += text;
  return layout;
}

void write_safetensors(const fs::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const SafetensorsLayout layout =
      safetensors_layout(std::vector<TensorSpec>(tensors.begin(), tensors.end()), metadata, path);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const uint64_t size =
        (i + 1 < tensors.size() ? layout.offsets[i + 1] : layout.data_size) - layout.offsets[i];
    if (tensors[i].bytes.size() != size)
      fail(path, "cannot write " + quoted(tensors[i].name) + ": shape " + json(tensors[i].shape).dump() +
                     " of " + dtype_name(tensors[i].dtype) + " needs " + std::to_string(size) +
                     " bytes, got " + std::to_string(tensors[i].bytes.size()));
  }
  AtomicFile file(path);
  file.write(layout.header.data(), layout.header.size());
  for (const TensorToWrite& tensor : tensors) file.write(tensor.bytes.data(), tensor.bytes.size());
  file.commit();
}

}  // namespace attnviz
