#include "model/fingerprint.hpp"

#include <cstdint>
#include <cstdio>

#include "model/checkpoint.hpp"

namespace attnviz {

namespace {

// FNV-1a, 64 bits: one multiply per byte, and the samples are small.
class Fnv1a {
 public:
  void add(const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) hash_ = (hash_ ^ bytes[i]) * 0x100000001b3ull;
  }
  void add(const std::string& text) {
    add(text.data(), text.size() + 1);
  }  // with its NUL: "ab"+"c" != "a"+"bc"
  void add(int64_t value) { add(&value, sizeof value); }
  uint64_t value() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

constexpr size_t kSampleBytes = 64;

}  // namespace

std::string model_fingerprint(const std::filesystem::path& model_dir) {
  const Checkpoint checkpoint = Checkpoint::open(model_dir);
  Fnv1a hash;
  for (const std::string& name : checkpoint.names()) {
    const TensorView& t = checkpoint.at(name);
    hash.add(name);
    hash.add(std::string(dtype_name(t.dtype)));
    for (int64_t d : t.shape) hash.add(d);
    const size_t size = t.bytes.size(), n = std::min(size, kSampleBytes);
    hash.add(static_cast<int64_t>(size));
    for (size_t start : {size_t{0}, (size - n) / 2, size - n}) hash.add(t.bytes.data() + start, n);
  }
  char text[32];
  std::snprintf(text, sizeof text, "fnv1a64:%016llx", static_cast<unsigned long long>(hash.value()));
  return text;
}

}  // namespace attnviz
