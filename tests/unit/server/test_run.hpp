#pragma once
// A small but complete run directory for the server tests, written by the real RunWriter: 2 layers, 4 query
// heads over 2 key heads (grouped-query attention), causal, three sentences, seeded random vectors in F32.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/fs.hpp"
#include "core/safetensors.hpp"
#include "run/run_writer.hpp"

namespace attnviz::testing {

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("attnviz-server-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct TestRun {
  static constexpr int kLayers = 2, kHeads = 4, kKvHeads = 2, kHeadDim = 8;
  TempDir temp;
  std::filesystem::path dir;
  std::vector<std::vector<std::string>> sentences = {
      {"The", " cat", " sat", " on", " the", " mat"},
      {"A", " dog", "."},
      {"THE", " end", " of", " the", " story", " ,", " the", " End"},
  };
  // Per layer: q [kHeads, N, kHeadDim] and k [kKvHeads, N, kHeadDim] over all N tokens.
  std::vector<std::vector<float>> q, k;
  int64_t n = 0;

  TestRun() : dir(temp.path() / "run") {
    std::filesystem::create_directories(dir);
    RunContents contents;
    contents.model = {"gpt2",   "text",   kLayers, kHeads,
                      kKvHeads, kHeadDim, true,    1.0f / std::sqrt(float(kHeadDim))};
    contents.dataset = {"sentences.txt", "txt", static_cast<int64_t>(sentences.size()), {}};
    contents.dtype = DType::F32;
    for (size_t s = 0; s < sentences.size(); ++s) {
      RunSequence sequence;
      sequence.first_token = n;
      sequence.token_count = static_cast<int64_t>(sentences[s].size());
      int32_t chars = 0;
      for (size_t p = 0; p < sentences[s].size(); ++p) {
        const std::string& token = sentences[s][p];
        sequence.text += token;
        contents.tokens.token.push_back(token);
        contents.tokens.token_id.push_back(static_cast<int32_t>(n + p));
        contents.tokens.sequence.push_back(static_cast<int32_t>(s));
        contents.tokens.position.push_back(static_cast<int32_t>(p));
        contents.tokens.char_start.push_back(chars);
        chars += static_cast<int32_t>(token.size());
        contents.tokens.char_end.push_back(chars);
        contents.tokens.special.push_back(0);
      }
      n += sequence.token_count;
      contents.sequences.push_back(sequence);
    }
    std::mt19937 random(7);
    std::normal_distribution<float> normal(0.0f, 1.5f);
    for (int layer = 0; layer < kLayers; ++layer) {
      q.emplace_back(static_cast<size_t>(kHeads * n * kHeadDim));
      k.emplace_back(static_cast<size_t>(kKvHeads * n * kHeadDim));
      for (float& x : q.back()) x = normal(random);
      for (float& x : k.back()) x = normal(random);
    }
    RunWriter writer(dir, contents);
    for (size_t s = 0; s < contents.sequences.size(); ++s) {
      const RunSequence& sequence = contents.sequences[s];
      for (int layer = 0; layer < kLayers; ++layer) {
        writer.write(static_cast<int>(s), layer, slice(q[layer], kHeads, sequence),
                     slice(k[layer], kKvHeads, sequence));
      }
    }
    writer.finish();
  }

  // One sequence's rows of every head: [heads, T, kHeadDim].
  std::vector<float> slice(const std::vector<float>& all, int heads, const RunSequence& sequence) const {
    std::vector<float> out;
    for (int h = 0; h < heads; ++h) {
      auto begin = all.begin() + (h * n + sequence.first_token) * kHeadDim;
      out.insert(out.end(), begin, begin + sequence.token_count * kHeadDim);
    }
    return out;
  }

  const float* query(int layer, int head, int64_t token) const {
    return q[layer].data() + (head * n + token) * kHeadDim;
  }
  const float* key(int layer, int kv_head, int64_t token) const {
    return k[layer].data() + (kv_head * n + token) * kHeadDim;
  }
};

// Writes layouts/{name}.safetensors with the given heads, each [2N, dim] filled from `value(layer, head, i)`.
inline void write_layouts(const TestRun& run, const std::string& name, int dim,
                          const std::vector<std::pair<int, int>>& heads, float base) {
  std::vector<std::vector<float>> data;
  std::vector<TensorToWrite> tensors;
  for (auto [layer, head] : heads) {
    data.emplace_back(static_cast<size_t>(2 * run.n * dim));
    for (size_t i = 0; i < data.back().size(); ++i)
      data.back()[i] = base + layer * 100 + head * 10 + 0.001f * i;
  }
  for (size_t t = 0; t < heads.size(); ++t) {
    tensors.push_back({"l" + std::to_string(heads[t].first) + ".h" + std::to_string(heads[t].second),
                       DType::F32,
                       {2 * run.n, dim},
                       std::as_bytes(std::span<const float>(data[t]))});
  }
  std::filesystem::create_directories(run.dir / "layouts");
  write_safetensors(run.dir / "layouts" / (name + ".safetensors"), tensors);
}

}  // namespace attnviz::testing
