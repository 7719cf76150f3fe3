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
      convert_each<uint16_t>(source, out, f16_to_f32);
      break;
    case DType::BF16:
      convert_each<uint16_t>(source, out, bf16_to_f32);
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

// model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: shard file name}}. The index and
// the shards must agree exactly: every listed tensor is in its shard, and every shard tensor is listed.
Checkpoint Checkpoint::open_index(const fs::path& index_path) {
  const json index = read_json_file(index_path);
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    fail(index_path, "expected an object with a \"weight_map\" object");
  const json& weight_map = index["weight_map"];
  if (weight_map.empty()) fail(index_path, "\"weight_map\" is empty");

  std::map<std::string, std::vector<std::string>> tensors_by_shard;
  for (const auto& [tensor, shard] : weight_map.items()) {
    const std::string shard_name = shard.is_string() ? shard.get<std::string>() : "";
    if (shard_name.empty() || shard_name == "." || shard_name == ".." ||
        fs::path(shard_name).has_parent_path())
      fail(index_path,
           quoted(tensor) + " maps to " + shard.dump() + ", not a file name in the checkpoint folder");
    tensors_by_shard[shard_name].push_back(tensor);
  }

  Checkpoint checkpoint;
  checkpoint.path_ = index_path;
  for (const auto& [shard_name, names] : tensors_by_shard) {
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

void write_safetensors(const fs::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& tensor : tensors) {
    const std::string where = "cannot write " + quoted(tensor.name);
    if (tensor.name == "__metadata__" || header.contains(tensor.name))
      fail(path, where + ": duplicate or reserved name");
    if (std::any_of(tensor.shape.begin(), tensor.shape.end(), [](int64_t dim) { return dim < 0; }))
      fail(path, where + ": negative dimension in shape " + json(tensor.shape).dump());
    const uint64_t size = byte_size(path, where, tensor.shape, dtype_size(tensor.dtype));
    if (tensor.bytes.size() != size)
      fail(path, where + ": shape " + json(tensor.shape).dump() + " of " + dtype_name(tensor.dtype) +
                     " needs " + std::to_string(size) + " bytes, got " + std::to_string(tensor.bytes.size()));
    header[tensor.name] = {{"dtype", dtype_name(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const json::exception& e) {  // a name or metadata value that is not valid UTF-8
    fail(path, std::string("cannot write header: ") + e.what());
  }
  header_text.append((8 - header_text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned

  const fs::path temp = temp_sibling(path);
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot write " + temp.string() + ": " + std::strerror(errno));
  const uint64_t header_size = header_text.size();
  out.write(reinterpret_cast<const char*>(&header_size), sizeof(header_size));
  out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
  for (const auto& tensor : tensors)
    out.write(reinterpret_cast<const char*>(tensor.bytes.data()),
              static_cast<std::streamsize>(tensor.bytes.size()));
  out.close();
  std::error_code ec;
  if (!out) {
    fs::remove(temp, ec);
    throw Error("cannot write " + temp.string() + ": " + std::strerror(errno));
  }
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw Error("cannot rename " + temp.string() + " to " + path.string() + ": " + ec.message());
  }
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
  const float subnormal = std::ldexp(static_cast<float>(mantissa), -24);  // exact: at most 10 bits
  return sign ? -subnormal : subnormal;
}

uint16_t f32_to_f16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t exponent = (bits >> 23) & 0xff;
  const uint32_t mantissa = bits & 0x7fffff;
  if (exponent == 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >> 13) : 0);  // NaN stays NaN
  const int half_exponent = int(exponent) - 127 + 15;
  if (half_exponent >= 0x1f) return sign | 0x7c00;  // too large: infinity
  // Round to nearest even: `kept` is the result's significand, `dropped` the `shift` bits cut off.
  auto round = [](uint32_t value, int shift) {
    const uint32_t kept = value >> shift, dropped = value & ((1u << shift) - 1), half = 1u << (shift - 1);
    return kept + (dropped > half || (dropped == half && (kept & 1)));
  };
  if (half_exponent <= 0) {
    if (half_exponent < -10) return sign;  // below half the smallest subnormal: zero
    // A subnormal half counts units of 2^-24; a carry into 0x400 correctly gives the smallest normal.
    return sign | static_cast<uint16_t>(round(mantissa | 0x800000, 14 - half_exponent));
  }
  // A carry out of the significand correctly increments the exponent (up to infinity).
  return sign | static_cast<uint16_t>(round((uint32_t(half_exponent) << 23) | mantissa, 13));
}

float bf16_to_f32(uint16_t h) { return std::bit_cast<float>(uint32_t(h) << 16); }

uint16_t f32_to_bf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if (std::isnan(f)) return static_cast<uint16_t>((bits >> 16) | 0x40);
  return static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

}  // namespace attnviz
