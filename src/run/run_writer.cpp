#include "run/run_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/half.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

void check_contents(const RunContents& c) {
  const RunModel& m = c.model;
  if (m.num_layers <= 0 || m.num_heads <= 0 || m.num_kv_heads <= 0 || m.head_dim <= 0 ||
      m.num_heads % m.num_kv_heads != 0)
    throw Error("run writer: invalid model shape");
  if (c.dtype != DType::F16 && c.dtype != DType::F32) throw Error("run writer: q/k dtype must be F16 or F32");
  int64_t next = 0;
  for (const RunSequence& s : c.sequences) {
    if (s.first_token != next || s.token_count <= 0)
      throw Error("run writer: sequences do not tile the tokens");
    next += s.token_count;
  }
  if (next != static_cast<int64_t>(c.tokens.size()) || c.sequences.empty())
    throw Error("run writer: the token table does not match the sequences");
}

void pwrite_all(int fd, const void* data, size_t size, int64_t offset, const fs::path& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
}

}  // namespace

std::string qk_tensor_name(int layer, char which) { return "l" + std::to_string(layer) + "." + which; }

nlohmann::json manifest_json(const RunContents& c) {
  const RunModel& m = c.model;
  nlohmann::json sequences = nlohmann::json::array();
  for (const RunSequence& s : c.sequences) {
    nlohmann::json j;
    if (m.modality == "image") {
      j["image"] = s.image;
      j["grid"] = {s.grid_rows, s.grid_cols};
    } else {
      j["text"] = s.text;
    }
    j["first_token"] = s.first_token;
    j["token_count"] = s.token_count;
    sequences.push_back(std::move(j));
  }
  nlohmann::json manifest = {
      {"format", "attnviz-run"},
      {"version", kRunFormatVersion},
      {"model",
       {{"model_type", m.model_type},
        {"num_layers", m.num_layers},
        {"num_heads", m.num_heads},
        {"num_kv_heads", m.num_kv_heads},
        {"head_dim", m.head_dim},
        {"causal", m.causal},
        {"attention_scale", m.attention_scale},
        {"modality", m.modality}}},
      {"dataset",
       {{"source", c.dataset.source},
        {"kind", c.dataset.kind},
        {"inputs", c.dataset.inputs},
        {"count", c.sequences.size()},
        {"truncated", c.dataset.truncated}}},
      {"sequences", std::move(sequences)},
      {"qk", {{"file", "qk.safetensors"}, {"dtype", dtype_name(c.dtype)}, {"num_tokens", c.tokens.size()}}},
  };
  if (c.values) manifest["qk"]["values"] = true;
  if (c.induction) {
    nlohmann::json scores = nlohmann::json::array();
    for (int layer = 0; layer < m.num_layers; ++layer)
      scores.push_back(std::vector<double>(c.induction->scores.begin() + layer * m.num_heads,
                                           c.induction->scores.begin() + (layer + 1) * m.num_heads));
    manifest["induction"] = {{"seed", c.induction->seed},
                             {"sequences", c.induction->sequences},
                             {"length", c.induction->length},
                             {"scores", std::move(scores)}};
  }
  if (!m.source.empty()) manifest["model"]["source"] = m.source;
  if (!m.fingerprint.empty()) manifest["model"]["fingerprint"] = m.fingerprint;
  return manifest;
}

nlohmann::json tokens_json(const TokenTable& t, const std::string& modality) {
  nlohmann::json j = {
      {"token", t.token}, {"token_id", t.token_id}, {"sequence", t.sequence}, {"position", t.position}};
  if (modality == "image") {
    j["patch_row"] = t.patch_row;
    j["patch_col"] = t.patch_col;
  } else {
    j["char_start"] = t.char_start;
    j["char_end"] = t.char_end;
  }
  j["special"] = t.special;
  return j;
}

SafetensorsLayout qk_file_layout(const RunContents& c, const fs::path& path) {
  const RunModel& m = c.model;
  const int64_t n = static_cast<int64_t>(c.tokens.size());
  // Tensors in the order l0.q, l0.k[, l0.v], l1.q, ... laid out back to back.
  std::vector<TensorSpec> tensors;
  for (int layer = 0; layer < m.num_layers; ++layer) {
    tensors.push_back({qk_tensor_name(layer, 'q'), c.dtype, {m.num_heads, n, m.head_dim}});
    tensors.push_back({qk_tensor_name(layer, 'k'), c.dtype, {m.num_kv_heads, n, m.head_dim}});
    if (c.values) tensors.push_back({qk_tensor_name(layer, 'v'), c.dtype, {m.num_kv_heads, n, m.head_dim}});
  }
  return safetensors_layout(
      tensors, {{"format", "attnviz-run"}, {"version", std::to_string(kRunFormatVersion)}}, path);
}

// A byte-level token can be half of a UTF-8 character: its display string then holds U+FFFD.
constexpr auto kReplaceInvalid = nlohmann::json::error_handler_t::replace;

std::string tokens_json_text(const RunContents& c) {
  return tokens_json(c.tokens, c.model.modality).dump(-1, ' ', false, kReplaceInvalid);
}

std::string manifest_json_text(const RunContents& c) {
  return manifest_json(c).dump(1, ' ', false, kReplaceInvalid);
}

RunWriter::RunWriter(fs::path dir, RunContents contents)
    : dir_(std::move(dir)), contents_(std::move(contents)) {
  check_contents(contents_);
  const RunModel& m = contents_.model;
  const fs::path path = dir_ / "qk.safetensors";
  const SafetensorsLayout layout = qk_file_layout(contents_, path);
  const size_t per_layer = contents_.values ? 3 : 2;
  for (int layer = 0; layer < m.num_layers; ++layer) {
    q_offset_.push_back(static_cast<int64_t>(layout.offsets[per_layer * layer]));
    k_offset_.push_back(static_cast<int64_t>(layout.offsets[per_layer * layer + 1]));
    if (contents_.values) v_offset_.push_back(static_cast<int64_t>(layout.offsets[per_layer * layer + 2]));
  }
  data_start_ = static_cast<int64_t>(layout.header.size());
  written_.assign(contents_.sequences.size() * m.num_layers, 0);

  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot create " + path.string() + ": " + std::strerror(errno));
  pwrite_all(fd_, layout.header.data(), layout.header.size(), 0, path);
  if (::ftruncate(fd_, data_start_ + static_cast<int64_t>(layout.data_size)) != 0)
    throw Error("cannot size " + path.string() + ": " + std::strerror(errno));
}

RunWriter::~RunWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void RunWriter::write_heads(int64_t tensor_offset, int heads, int64_t first, int64_t tokens,
                            std::span<const float> v) {
  const RunModel& m = contents_.model;
  const int64_t n = static_cast<int64_t>(contents_.tokens.size());
  const size_t per_head = static_cast<size_t>(tokens * m.head_dim);
  const int64_t esize = static_cast<int64_t>(dtype_size(contents_.dtype));
  const fs::path path = dir_ / "qk.safetensors";
  std::vector<uint16_t> half(contents_.dtype == DType::F16 ? per_head : 0);
  for (int h = 0; h < heads; ++h) {
    const float* src = v.data() + h * per_head;
    const int64_t at = data_start_ + tensor_offset + (h * n + first) * m.head_dim * esize;
    if (contents_.dtype == DType::F32) {
      pwrite_all(fd_, src, per_head * sizeof(float), at, path);
    } else {
      f32_to_f16_row(src, half.data(), per_head);
      pwrite_all(fd_, half.data(), per_head * sizeof(uint16_t), at, path);
    }
  }
}

void RunWriter::write(int sequence, int layer, std::span<const float> q, std::span<const float> k,
                      std::span<const float> v) {
  const RunModel& m = contents_.model;
  if (sequence < 0 || sequence >= static_cast<int>(contents_.sequences.size()) || layer < 0 ||
      layer >= m.num_layers)
    throw Error("run writer: sequence " + std::to_string(sequence) + " layer " + std::to_string(layer) +
                " out of range");
  const RunSequence& s = contents_.sequences[sequence];
  const size_t rows = static_cast<size_t>(s.token_count * m.head_dim);
  const size_t v_size = contents_.values ? rows * m.num_kv_heads : 0;
  if (q.size() != rows * m.num_heads || k.size() != rows * m.num_kv_heads || v.size() != v_size)
    throw Error("run writer: sequence " + std::to_string(sequence) + " layer " + std::to_string(layer) +
                ": q/k/v sizes do not match " + std::to_string(s.token_count) + " tokens" +
                (contents_.values ? " (values expected)" : " (no values expected)"));
  write_heads(q_offset_[layer], m.num_heads, s.first_token, s.token_count, q);
  write_heads(k_offset_[layer], m.num_kv_heads, s.first_token, s.token_count, k);
  if (contents_.values) write_heads(v_offset_[layer], m.num_kv_heads, s.first_token, s.token_count, v);
  written_[static_cast<size_t>(sequence) * m.num_layers + layer] = 1;
}

void RunWriter::finish() {
  for (size_t i = 0; i < written_.size(); ++i)
    if (!written_[i])
      throw Error("run writer: sequence " + std::to_string(i / contents_.model.num_layers) + " layer " +
                  std::to_string(i % contents_.model.num_layers) + " was never written");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    throw Error("cannot write " + (dir_ / "qk.safetensors").string() + ": " + std::strerror(errno));
  write_file_atomic(dir_ / "tokens.json", tokens_json_text(contents_));
  write_file_atomic(dir_ / "manifest.json", manifest_json_text(contents_));
}

}  // namespace attnviz
