#include "run/run.hpp"

#include <cmath>
#include <fstream>

#include "core/error.hpp"
#include "core/json.hpp"
#include "model/model.hpp"
#include "run/run_writer.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

// Typed access to one manifest/tokens field; every failure names the file and the field.
class Fields {
 public:
  Fields(const nlohmann::json& object, std::string where) : object_(object), where_(std::move(where)) {
    if (!object_.is_object()) fail("", "is not an object");
  }
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw Error(where_ + (key.empty() ? "" : ": \"" + key + "\"") + " " + why);
  }
  const nlohmann::json& at(const std::string& key) const {
    auto it = object_.find(key);
    if (it == object_.end()) fail(key, "is missing");
    return *it;
  }
  bool has(const std::string& key) const { return object_.contains(key); }
  int64_t integer(const std::string& key, int64_t min = 0) const {
    const auto& v = at(key);
    if (!v.is_number_integer() || v.get<int64_t>() < min)
      fail(key, "must be an integer >= " + std::to_string(min));
    return v.get<int64_t>();
  }
  std::string string(const std::string& key) const {
    const auto& v = at(key);
    if (!v.is_string()) fail(key, "must be a string");
    return v.get<std::string>();
  }
  bool boolean(const std::string& key) const {
    const auto& v = at(key);
    if (!v.is_boolean()) fail(key, "must be true or false");
    return v.get<bool>();
  }
  double number(const std::string& key) const {
    const auto& v = at(key);
    if (!v.is_number()) fail(key, "must be a number");
    return v.get<double>();
  }
  // A column of tokens.json: an array of n values of type T.
  template <typename T>
  std::vector<T> column(const std::string& key, size_t n) const {
    const auto& v = at(key);
    if (!v.is_array() || v.size() != n) fail(key, "must be an array of " + std::to_string(n) + " values");
    try {
      return v.get<std::vector<T>>();
    } catch (const nlohmann::json::exception&) {
      fail(key, "holds a value of the wrong type");
    }
  }

 private:
  const nlohmann::json& object_;
  std::string where_;
};

RunModel read_model(const Fields& f) {
  RunModel m;
  m.model_type = f.string("model_type");
  m.modality = f.string("modality");
  if (m.modality != "text" && m.modality != "image") f.fail("modality", "must be \"text\" or \"image\"");
  m.num_layers = static_cast<int>(f.integer("num_layers", 1));
  m.num_heads = static_cast<int>(f.integer("num_heads", 1));
  m.num_kv_heads = static_cast<int>(f.integer("num_kv_heads", 1));
  m.head_dim = static_cast<int>(f.integer("head_dim", 1));
  if (m.num_heads % m.num_kv_heads != 0) f.fail("num_kv_heads", "must divide num_heads");
  m.causal = f.boolean("causal");
  m.attention_scale = static_cast<float>(f.number("attention_scale"));
  if (!(m.attention_scale > 0.0f) || !std::isfinite(m.attention_scale))
    f.fail("attention_scale", "must be positive");
  if (f.has("source")) m.source = f.string("source");
  if (f.has("fingerprint")) m.fingerprint = f.string("fingerprint");
  return m;
}

std::vector<RunSequence> read_sequences(const nlohmann::json& array, const std::string& where, bool image) {
  if (!array.is_array() || array.empty()) throw Error(where + ": \"sequences\" must be a non-empty array");
  std::vector<RunSequence> sequences;
  int64_t next = 0;
  for (size_t i = 0; i < array.size(); ++i) {
    const Fields f(array[i], where + ": sequence " + std::to_string(i));
    RunSequence s;
    if (image) {
      s.image = f.string("image");
      const auto& grid = f.at("grid");
      if (!grid.is_array() || grid.size() != 2 || !grid[0].is_number_integer() ||
          !grid[1].is_number_integer())
        f.fail("grid", "must be [rows, cols]");
      s.grid_rows = grid[0].get<int>();
      s.grid_cols = grid[1].get<int>();
    } else {
      s.text = f.string("text");
    }
    s.first_token = f.integer("first_token");
    s.token_count = f.integer("token_count", 1);
    if (s.first_token != next)
      f.fail("first_token", "is " + std::to_string(s.first_token) + ", expected " + std::to_string(next));
    next += s.token_count;
    sequences.push_back(std::move(s));
  }
  return sequences;
}

TokenTable read_tokens(const fs::path& path, size_t n, bool image,
                       const std::vector<RunSequence>& sequences) {
  const nlohmann::json j = read_json_file(path);
  const Fields f(j, path.string());
  TokenTable t;
  t.token = f.column<std::string>("token", n);
  t.token_id = f.column<int32_t>("token_id", n);
  t.sequence = f.column<int32_t>("sequence", n);
  t.position = f.column<int32_t>("position", n);
  if (image) {
    t.patch_row = f.column<int32_t>("patch_row", n);
    t.patch_col = f.column<int32_t>("patch_col", n);
  } else {
    t.char_start = f.column<int32_t>("char_start", n);
    t.char_end = f.column<int32_t>("char_end", n);
  }
  t.special = f.column<uint8_t>("special", n);
  for (size_t s = 0; s < sequences.size(); ++s)
    for (int64_t i = 0; i < sequences[s].token_count; ++i) {
      const size_t row = static_cast<size_t>(sequences[s].first_token + i);
      if (t.sequence[row] != static_cast<int32_t>(s) || t.position[row] != i)
        throw Error(path.string() + ": token " + std::to_string(row) + " should be position " +
                    std::to_string(i) + " of sequence " + std::to_string(s));
    }
  return t;
}

// The manifest's optional "induction" (docs/format.md): scores [num_layers][num_heads], each in [0, 1].
RunInduction read_induction(const Fields& f, const RunModel& m) {
  RunInduction induction;
  induction.seed = static_cast<unsigned>(f.integer("seed"));
  induction.sequences = static_cast<int>(f.integer("sequences", 1));
  induction.length = static_cast<int>(f.integer("length", 1));
  const std::string shape = "must be " + std::to_string(m.num_layers) + " arrays of " +
                            std::to_string(m.num_heads) + " numbers in [0, 1]";
  const nlohmann::json& scores = f.at("scores");
  if (!scores.is_array() || scores.size() != static_cast<size_t>(m.num_layers)) f.fail("scores", shape);
  for (const nlohmann::json& layer : scores) {
    if (!layer.is_array() || layer.size() != static_cast<size_t>(m.num_heads)) f.fail("scores", shape);
    for (const nlohmann::json& v : layer) {
      if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= 1)) f.fail("scores", shape);
      induction.scores.push_back(v.get<double>());
    }
  }
  return induction;
}

uint64_t qk_file_size(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw Error(path.string() + ": cannot read: " + ec.message());
  return size;
}

// The first 8 bytes of a safetensors file: the header length (0 when the file is shorter).
uint64_t qk_header_size(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char bytes[8] = {};
  if (!in.read(reinterpret_cast<char*>(bytes), 8)) return 0;
  uint64_t size = 0;
  for (int i = 7; i >= 0; --i) size = size << 8 | bytes[i];
  return size;
}

}  // namespace

std::shared_ptr<const Run> Run::open(const fs::path& dir) {
  const std::string where = dir.string();
  if (!fs::is_directory(dir)) throw Error(where + ": no such run directory");
  const fs::path manifest_path = dir / "manifest.json";
  if (!fs::exists(manifest_path)) throw Error(where + ": not an attnviz run (no manifest.json)");

  auto run = std::shared_ptr<Run>(new Run());
  run->dir_ = dir;
  run->manifest_ = read_json_file(manifest_path);
  const Fields top(run->manifest_, manifest_path.string());
  if (top.string("format") != "attnviz-run") top.fail("format", "is not \"attnviz-run\"");
  const int64_t version = top.integer("version");
  if (version != kRunFormatVersion)
    throw Error(where + ": format version " + std::to_string(version) + ", this attnviz reads version " +
                std::to_string(kRunFormatVersion));
  run->model_ = read_model(Fields(top.at("model"), manifest_path.string() + ": model"));
  const bool image = run->model_.modality == "image";
  if (top.has("induction") && !top.at("induction").is_null())
    run->induction_ =
        read_induction(Fields(top.at("induction"), manifest_path.string() + ": induction"), run->model_);
  run->sequences_ = read_sequences(top.at("sequences"), manifest_path.string(), image);

  const Fields qk(top.at("qk"), manifest_path.string() + ": qk");
  const std::string file = qk.string("file");
  if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
    qk.fail("file", "must be a file name inside the run");
  const std::string dtype_text = qk.string("dtype");
  if (dtype_text != "F16" && dtype_text != "F32") qk.fail("dtype", "must be \"F16\" or \"F32\"");
  const DType dtype = dtype_text == "F16" ? DType::F16 : DType::F32;
  const int64_t n = qk.integer("num_tokens", 1);
  run->has_values_ = qk.has("values") && qk.boolean("values");
  const RunSequence& last = run->sequences_.back();
  if (last.first_token + last.token_count != n)
    qk.fail("num_tokens", "is " + std::to_string(n) + " but the sequences hold " +
                              std::to_string(last.first_token + last.token_count) + " tokens");

  run->tokens_ = read_tokens(dir / "tokens.json", static_cast<size_t>(n), image, run->sequences_);

  // The size check comes first so that a truncated file gets its own message.
  const fs::path qk_path = dir / file;
  const RunModel& m = run->model_;
  const int64_t row = m.head_dim * static_cast<int64_t>(dtype_size(dtype));
  const int64_t stored_heads = m.num_heads + m.num_kv_heads * (run->has_values_ ? 2 : 1);
  const int64_t data_bytes = static_cast<int64_t>(m.num_layers) * stored_heads * n * row;
  const uint64_t file_size = qk_file_size(qk_path);
  const uint64_t header_size = qk_header_size(qk_path);
  if (header_size + 8 <= file_size && file_size - 8 - header_size < static_cast<uint64_t>(data_bytes))
    throw Error(qk_path.string() + " is truncated: " + std::to_string(file_size - 8 - header_size) +
                " bytes of vectors, the manifest needs " + std::to_string(data_bytes));
  run->qk_ = std::make_shared<const QkFile>(qk_path);
  std::vector<std::pair<char, int>> tensors{{'q', m.num_heads}, {'k', m.num_kv_heads}};
  if (run->has_values_) tensors.emplace_back('v', m.num_kv_heads);
  for (int layer = 0; layer < m.num_layers; ++layer)
    for (const auto& [which, heads] : tensors) {
      const std::string name = qk_tensor_name(layer, which);
      const TensorView& t = run->qk_->at(name);
      const std::vector<int64_t> shape{heads, n, m.head_dim};
      if (t.dtype != dtype || t.shape != shape)
        throw Error(qk_path.string() + ": tensor " + name + " is " + dtype_name(t.dtype) + " " +
                    nlohmann::json(t.shape).dump() + ", the manifest says " + dtype_text + " " +
                    nlohmann::json(shape).dump());
    }
  return run;
}

namespace {

std::vector<float> head_rows(const QkFile& qk, const std::string& name, int head, int heads, int64_t n,
                             int head_dim, int64_t first, int64_t count) {
  if (head < 0 || head >= heads)
    throw Error(name + ": head " + std::to_string(head) + " out of range [0, " + std::to_string(heads) + ")");
  if (first < 0 || count < 0 || first + count > n)
    throw Error(name + ": tokens [" + std::to_string(first) + ", " + std::to_string(first + count) +
                ") out of range [0, " + std::to_string(n) + ")");
  const TensorView& t = qk.at(name);
  const size_t esize = dtype_size(t.dtype);
  std::vector<std::byte> bytes(static_cast<size_t>(count * head_dim) * esize);
  qk.read(t.offset + static_cast<uint64_t>((head * n + first) * head_dim) * esize, bytes);
  TensorView rows = t;
  rows.shape = {count, head_dim};
  rows.bytes = bytes;
  return rows.to_f32();
}

}  // namespace

std::vector<float> Run::queries(int layer, int head, int64_t first, int64_t count) const {
  if (layer < 0 || layer >= model_.num_layers)
    throw Error("layer " + std::to_string(layer) + " out of range");
  return head_rows(*qk_, qk_tensor_name(layer, 'q'), head, model_.num_heads, num_tokens(), model_.head_dim,
                   first, count);
}

std::vector<float> Run::keys(int layer, int kv_head, int64_t first, int64_t count) const {
  if (layer < 0 || layer >= model_.num_layers)
    throw Error("layer " + std::to_string(layer) + " out of range");
  return head_rows(*qk_, qk_tensor_name(layer, 'k'), kv_head, model_.num_kv_heads, num_tokens(),
                   model_.head_dim, first, count);
}

std::vector<float> Run::values(int layer, int kv_head, int64_t first, int64_t count) const {
  if (!has_values_) throw Error(dir_.string() + " holds no value vectors (extract it with --values)");
  if (layer < 0 || layer >= model_.num_layers)
    throw Error("layer " + std::to_string(layer) + " out of range");
  return head_rows(*qk_, qk_tensor_name(layer, 'v'), kv_head, model_.num_kv_heads, num_tokens(),
                   model_.head_dim, first, count);
}

std::vector<float> Run::values(int layer, int kv_head) const {
  return values(layer, kv_head, 0, num_tokens());
}

std::vector<float> Run::queries(int layer, int head) const { return queries(layer, head, 0, num_tokens()); }

std::vector<float> Run::keys(int layer, int kv_head) const { return keys(layer, kv_head, 0, num_tokens()); }

std::optional<double> Run::induction(int layer, int head) const {
  if (!induction_ || layer < 0 || layer >= model_.num_layers || head < 0 || head >= model_.num_heads)
    return std::nullopt;
  return induction_->scores[static_cast<size_t>(layer * model_.num_heads + head)];
}

std::vector<float> Run::attention(int layer, int head, int sequence) const {
  if (sequence < 0 || sequence >= static_cast<int>(sequences_.size()))
    throw Error("sequence " + std::to_string(sequence) + " out of range");
  if (head < 0 || head >= model_.num_heads) throw Error("head " + std::to_string(head) + " out of range");
  const RunSequence& s = sequences_[sequence];
  const auto q = queries(layer, head, s.first_token, s.token_count);
  const auto k = keys(layer, model_.kv_head_for(head), s.first_token, s.token_count);
  return attention_probabilities(q, k, 1, 1, static_cast<int>(s.token_count), model_.head_dim,
                                 model_.attention_scale, model_.causal);
}

}  // namespace attnviz
