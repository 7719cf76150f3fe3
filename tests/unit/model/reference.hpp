#pragma once
// The Hugging Face reference fixtures (tests/fixtures/README.md): per sequence s{i} the inputs, and per layer
// the q, k and attention probabilities transformers computed, plus the final hidden state.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/safetensors.hpp"
#include "model/model.hpp"

namespace attnviz::test {

inline std::filesystem::path source_dir() { return ATTNVIZ_SOURCE_DIR; }

struct Fixture {
  std::string name;                 // "hf/gpt2"
  std::filesystem::path model_dir;  // the checkpoint the reference was computed from
  // The reference hidden state is hidden_states[-1] of ViTForImageClassification, which transformers takes
  // before the final layernorm; attnviz's hidden state (like ViTModel's last_hidden_state) is after it.
  bool hidden_before_final_norm = false;
};

inline std::vector<Fixture> all_fixtures() {
  const std::filesystem::path f = source_dir() / "tests/fixtures";
  return {{"hf/gpt2", f / "hf/gpt2/model"},
          {"hf/bert", f / "hf/bert/model"},
          {"hf/vit", f / "hf/vit/model"},
          {"hf/llama", f / "hf/llama/model"},
          {"demo/brown-gpt", source_dir() / "models/brown-gpt"},
          {"demo/brown-bert", source_dir() / "models/brown-bert"},
          {"demo/mnist-vit", source_dir() / "models/mnist-vit", true}};
}

// A fixture's name as a test name: "hf/gpt2" → "hf_gpt2".
inline std::string fixture_test_name(const ::testing::TestParamInfo<Fixture>& info) {
  std::string name = info.param.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

class Reference {
 public:
  explicit Reference(const std::string& name)
      : file_(SafetensorsFile::open(source_dir() / "tests/fixtures" / name / "reference.safetensors")) {}

  bool has(const std::string& tensor) const { return file_->find(tensor) != nullptr; }
  std::vector<float> floats(const std::string& tensor) const { return file_->at(tensor).to_f32(); }
  std::vector<int32_t> ints(const std::string& tensor) const {
    std::vector<int32_t> out;
    for (float v : floats(tensor)) out.push_back(int32_t(v));
    return out;
  }
  int sequences() const {
    int n = 0;
    while (has("s" + std::to_string(n) + ".hidden")) ++n;
    return n;
  }
  ModelInput input(int s) const {
    const std::string p = "s" + std::to_string(s) + ".";
    ModelInput in;
    if (has(p + "input_ids")) in.input_ids = ints(p + "input_ids");
    if (has(p + "token_type_ids")) in.token_type_ids = ints(p + "token_type_ids");
    if (has(p + "pixel_values")) in.pixel_values = floats(p + "pixel_values");
    return in;
  }

 private:
  std::shared_ptr<const SafetensorsFile> file_;
};

inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  float worst = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

}  // namespace attnviz::test
