#pragma once
// Small but complete run directories written by the real RunWriter, for the tests of everything that reads
// runs: a text run from token strings, or an image run from image files, with vectors chosen by the test.
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "run/run_writer.hpp"

namespace attnviz::test {

struct TinyRun {
  RunContents contents;  // F32 unless the test changes it
  // Per layer: q [num_heads, N, head_dim] and k [num_kv_heads, N, head_dim] over all N tokens; v as k when
  // contents.values (with_values), else empty.
  std::vector<std::vector<float>> q, k, v;

  // One sequence per entry of `sequences`, its tokens' display strings: the text is their concatenation and
  // the offsets are in code points. Token ids count the tokens of the run; nothing is special. Zero vectors.
  static TinyRun text(const RunModel& model, const std::vector<std::vector<std::string>>& sequences) {
    TinyRun run(model, {"sentences.txt", "txt", static_cast<int64_t>(sequences.size()), {}});
    for (const auto& tokens : sequences) {
      RunSequence& s = run.begin_sequence();
      int32_t chars = 0;
      for (const std::string& token : tokens) {
        s.text += token;
        TokenTable& t = run.add_token(token, static_cast<int32_t>(run.tokens()), false);
        t.char_start.push_back(chars);
        for (unsigned char c : token) chars += (c & 0xC0) != 0x80;
        t.char_end.push_back(chars);
      }
    }
    run.zero();
    return run;
  }

  // One sequence per image: the class token, then a grid x grid patches row by row. Zero vectors.
  static TinyRun images(const RunModel& model, const std::vector<std::filesystem::path>& images, int grid) {
    TinyRun run(model, {"images", "images", static_cast<int64_t>(images.size()), {}});
    for (const auto& image : images) {
      RunSequence& s = run.begin_sequence();
      s.image = image.string();
      s.grid_rows = s.grid_cols = grid;
      for (int p = 0; p <= grid * grid; ++p) {
        const int row = p == 0 ? -1 : (p - 1) / grid, col = p == 0 ? -1 : (p - 1) % grid;
        TokenTable& t = run.add_token(
            p == 0 ? "[CLS]" : "(" + std::to_string(row) + "," + std::to_string(col) + ")", p - 1, p == 0);
        t.patch_row.push_back(row);
        t.patch_col.push_back(col);
      }
    }
    run.zero();
    return run;
  }

  int64_t tokens() const { return static_cast<int64_t>(contents.tokens.size()); }

  // Seeded normal values, layer by layer, q then k.
  TinyRun& random(unsigned seed, float stddev = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, stddev);
    for (size_t layer = 0; layer < q.size(); ++layer) {
      for (float& x : q[layer]) x = normal(rng);
      for (float& x : k[layer]) x = normal(rng);
    }
    return *this;
  }

  // Stores value vectors too (extract --values): seeded normal values.
  TinyRun& with_values(unsigned seed, float stddev = 1.0f) {
    const RunModel& m = contents.model;
    contents.values = true;
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, stddev);
    v.assign(m.num_layers, std::vector<float>(static_cast<size_t>(m.num_kv_heads * tokens() * m.head_dim)));
    for (auto& layer : v)
      for (float& x : layer) x = normal(rng);
    return *this;
  }

  // Where a head's vector of one token starts in q[layer] or k[layer].
  size_t offset(int head, int64_t token) const {
    return static_cast<size_t>((head * tokens() + token) * contents.model.head_dim);
  }
  const float* query(int layer, int head, int64_t token) const {
    return q[layer].data() + offset(head, token);
  }
  const float* key(int layer, int kv_head, int64_t token) const {
    return k[layer].data() + offset(kv_head, token);
  }
  const float* value(int layer, int kv_head, int64_t token) const {
    return v[layer].data() + offset(kv_head, token);
  }

  // Creates dir and writes the run into it.
  const TinyRun& write(const std::filesystem::path& dir) const {
    std::filesystem::create_directories(dir);
    RunWriter writer(dir, contents);
    const RunModel& m = contents.model;
    for (size_t s = 0; s < contents.sequences.size(); ++s)
      for (int layer = 0; layer < m.num_layers; ++layer)
        writer.write(
            static_cast<int>(s), layer, rows(q[layer], m.num_heads, contents.sequences[s]),
            rows(k[layer], m.num_kv_heads, contents.sequences[s]),
            contents.values ? rows(v[layer], m.num_kv_heads, contents.sequences[s]) : std::vector<float>{});
    writer.finish();
    return *this;
  }

 private:
  TinyRun(const RunModel& model, RunDataset dataset) {
    contents.model = model;
    contents.dataset = std::move(dataset);
  }
  // A new sequence at the end of the tokens, which add_token then fills.
  RunSequence& begin_sequence() {
    contents.sequences.push_back({});
    contents.sequences.back().first_token = tokens();
    return contents.sequences.back();
  }
  // One token of the last sequence; returns the table for the columns of its kind of run.
  TokenTable& add_token(std::string display, int32_t id, bool special) {
    RunSequence& s = contents.sequences.back();
    TokenTable& t = contents.tokens;
    t.token.push_back(std::move(display));
    t.token_id.push_back(id);
    t.sequence.push_back(static_cast<int32_t>(contents.sequences.size() - 1));
    t.position.push_back(static_cast<int32_t>(s.token_count++));
    t.special.push_back(special ? 1 : 0);
    return t;
  }
  void zero() {
    const RunModel& m = contents.model;
    contents.dtype = DType::F32;
    q.assign(m.num_layers, std::vector<float>(static_cast<size_t>(m.num_heads * tokens() * m.head_dim)));
    k.assign(m.num_layers, std::vector<float>(static_cast<size_t>(m.num_kv_heads * tokens() * m.head_dim)));
  }
  // One sequence's rows of every head: [heads, T, head_dim].
  std::vector<float> rows(const std::vector<float>& all, int heads, const RunSequence& s) const {
    std::vector<float> out;
    const int64_t d = contents.model.head_dim;
    for (int h = 0; h < heads; ++h) {
      auto begin = all.begin() + (h * tokens() + s.first_token) * d;
      out.insert(out.end(), begin, begin + s.token_count * d);
    }
    return out;
  }
};

}  // namespace attnviz::test
