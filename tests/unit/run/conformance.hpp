#pragma once
// Shared by the library tests (tests/unit/run) and the binary tests (tests/unit/cli): the Hugging Face
// reference fixtures as extract inputs, and the comparison of a run against them.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/json.hpp"
#include "core/safetensors.hpp"
#include "run/run.hpp"
#include "support/temp_dir.hpp"

namespace attnviz::test {

namespace fs = std::filesystem;

inline fs::path source_dir() { return ATTNVIZ_SOURCE_DIR; }

struct Fixture {
  std::string name;    // "hf/gpt2", "demo/brown-gpt"
  fs::path reference;  // folder of reference.safetensors and reference.json
  fs::path model;      // model folder
  int sequences = 0;
  // Image models: the input of each sequence. hf/vit's image1 (67x37) is resized bilinearly to 32x32 first;
  // attnviz's resize reproduces PIL's closely enough that it meets the same 1e-4 as every other input.
  std::vector<fs::path> images;
};

inline std::vector<Fixture> all_fixtures() {
  std::vector<Fixture> fixtures;
  const fs::path root = source_dir() / "tests/fixtures";
  for (const std::string kind : {"hf", "demo"})
    for (const std::string name : {"gpt2", "bert", "llama", "vit", "brown-gpt", "brown-bert", "mnist-vit"}) {
      const fs::path reference = root / kind / name;
      if (!fs::exists(reference / "reference.json")) continue;
      Fixture f;
      f.name = kind + "/" + name;
      f.reference = reference;
      f.model = kind == "hf" ? reference / "model" : source_dir() / "models" / name;
      const nlohmann::json info = read_json_file(reference / "reference.json");
      f.sequences = info.at("sequences").get<int>();
      if (info.contains("images"))
        for (const auto& image : info["images"])
          f.images.push_back((kind == "hf" ? reference : f.model) / image.get<std::string>());
      fixtures.push_back(std::move(f));
    }
  return fixtures;
}

inline std::vector<int64_t> int_values(const TensorView& t) {
  std::vector<int64_t> out;
  for (float v : t.to_f32()) out.push_back(static_cast<int64_t>(v));
  return out;
}

// One JSONL line per reference sequence: {"input_ids", "token_type_ids"?} or {"image"}.
inline fs::path write_reference_jsonl(const Fixture& f, const fs::path& dir) {
  const auto reference = SafetensorsFile::open(f.reference / "reference.safetensors");
  std::string lines;
  for (int s = 0; s < f.sequences; ++s) {
    nlohmann::json line;
    const std::string prefix = "s" + std::to_string(s) + ".";
    if (!f.images.empty()) {
      line["image"] = fs::absolute(f.images[s]).string();
    } else {
      line["input_ids"] = int_values(reference->at(prefix + "input_ids"));
      if (const TensorView* types = reference->find(prefix + "token_type_ids"))
        line["token_type_ids"] = int_values(*types);
    }
    lines += line.dump() + "\n";
  }
  const fs::path path = dir / "inputs.jsonl";
  write_text(path, lines);
  return path;
}

// Largest |a - b| over the values.
inline float max_abs_diff(const std::vector<float>& a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0.0f;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

struct Tolerances {
  float qk = 1e-4f;          // absolute, f32 storage
  float qk_relative = 0.0f;  // plus this times |reference| (f16 storage)
  float attention = 1e-4f;
};

// Compares every layer, head and sequence of the run with the reference: q, k and recomputed attention.
inline void expect_run_matches(const Run& run, const Fixture& f, const Tolerances& tol) {
  const auto reference = SafetensorsFile::open(f.reference / "reference.safetensors");
  const RunModel& m = run.model();
  ASSERT_EQ(static_cast<int>(run.sequences().size()), f.sequences) << f.name;
  for (int s = 0; s < f.sequences; ++s) {
    const RunSequence& seq = run.sequences()[s];
    for (int layer = 0; layer < m.num_layers; ++layer) {
      const std::string prefix = "s" + std::to_string(s) + ".l" + std::to_string(layer) + ".";
      for (const char which : {'q', 'k'}) {
        const std::vector<float> ref = reference->at(prefix + which).to_f32();
        const int heads = which == 'q' ? m.num_heads : m.num_kv_heads;
        ASSERT_EQ(ref.size(), static_cast<size_t>(heads * seq.token_count * m.head_dim))
            << f.name << " " << prefix;
        for (int h = 0; h < heads; ++h) {
          const auto got = which == 'q' ? run.queries(layer, h, seq.first_token, seq.token_count)
                                        : run.keys(layer, h, seq.first_token, seq.token_count);
          const std::span<const float> want(ref.data() + h * got.size(), got.size());
          for (size_t i = 0; i < got.size(); ++i)
            ASSERT_LE(std::fabs(got[i] - want[i]), tol.qk + tol.qk_relative * std::fabs(want[i]))
                << f.name << " " << prefix << which << " head " << h << " value " << i;
        }
      }
      const std::vector<float> attn = reference->at(prefix + "attn").to_f32();
      const size_t t2 = static_cast<size_t>(seq.token_count * seq.token_count);
      for (int h = 0; h < m.num_heads; ++h) {
        const auto got = run.attention(layer, h, s);
        EXPECT_LE(max_abs_diff(got, std::span<const float>(attn.data() + h * t2, t2)), tol.attention)
            << f.name << " " << prefix << "attn head " << h;
      }
    }
  }
}

}  // namespace attnviz::test
