// Checkpoints stored in half precision (F16, BF16), whose matrices stay in the mapped file and are converted
// a block at a time: every fixture converted to each half dtype here (written with write_safetensors)
//   - computes exactly what the float32 checkpoint of the same rounded weights computes (the real check of
//     the half path: same arithmetic, only the storage differs), and
//   - matches the Hugging Face reference of the float32 fixture within the documented tolerance for half
//     storage (docs/format.md, "Weights"): the rounding of the weights, not an error of the path.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/half.hpp"
#include "core/safetensors.hpp"
#include "model/model.hpp"
#include "reference.hpp"
#include "support/temp_dir.hpp"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using test::Fixture;
using test::max_abs_diff;
using test::Reference;

// Largest |difference| from the reference relative to the reference's largest |value|, per dtype: the
// documented tolerance (docs/format.md, "Model weights"), about 5× the worst the fixtures measure (F16
// 1.1e-3, BF16 1.1e-2, both hf/llama): BF16 keeps 8 significant bits, F16 11.
constexpr float kRelativeTolerance[] = {/*F16*/ 5e-3f, /*BF16*/ 5e-2f};

// The safetensors file `from` written to `to` with every float32 tensor stored as `dtype` (F16 or BF16) or,
// with `rounded`, as float32 holding the values `dtype` rounds them to.
void convert_file(const fs::path& from, const fs::path& to, DType dtype, bool rounded) {
  const auto file = SafetensorsFile::open(from);
  std::vector<std::vector<uint16_t>> halves;
  std::vector<std::vector<float>> floats;
  std::vector<TensorToWrite> tensors;
  for (const TensorView& t : file->tensors()) {
    if (t.dtype != DType::F32) {
      tensors.push_back({{t.name, t.dtype, t.shape}, t.bytes});
      continue;
    }
    const std::vector<float> values = t.to_f32();
    std::vector<uint16_t>& bits = halves.emplace_back(values.size());
    for (size_t i = 0; i < values.size(); ++i)
      bits[i] = dtype == DType::F16 ? f32_to_f16(values[i]) : f32_to_bf16(values[i]);
    if (!rounded) {
      tensors.push_back({{t.name, dtype, t.shape}, std::as_bytes(std::span(bits))});
      continue;
    }
    std::vector<float>& back = floats.emplace_back(values.size());
    for (size_t i = 0; i < values.size(); ++i)
      back[i] = dtype == DType::F16 ? f16_to_f32(bits[i]) : bf16_to_f32(bits[i]);
    tensors.push_back({{t.name, DType::F32, t.shape}, std::as_bytes(std::span(back))});
  }
  write_safetensors(to, tensors);
}

// The model folder `from` copied to `to`, its weight files (one, or the shards of an index) converted.
void convert_model(const fs::path& from, const fs::path& to, DType dtype, bool rounded) {
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from)) {
    const fs::path name = entry.path().filename();
    if (name.extension() == ".safetensors")
      convert_file(entry.path(), to / name, dtype, rounded);
    else
      fs::copy(entry.path(), to / name);
  }
}

float largest_magnitude(const std::vector<float>& values) {
  float m = 0.0f;
  for (float v : values) m = std::max(m, std::abs(v));
  return m;
}

class HalfWeights : public ::testing::TestWithParam<Fixture> {};

TEST_P(HalfWeights, ComputeWhatRoundedFloat32ComputesAndStayNearTheReference) {
  const Fixture& fixture = GetParam();
  const Reference ref(fixture.name);
  test::TempDir dir;
  for (const DType dtype : {DType::F16, DType::BF16}) {
    const std::string name = dtype_name(dtype);
    convert_model(fixture.model_dir, dir.path() / name, dtype, false);
    convert_model(fixture.model_dir, dir.path() / (name + "-as-f32"), dtype, true);
    const std::unique_ptr<Model> half = load_model(dir.path() / name),
                                 copy = load_model(dir.path() / (name + "-as-f32"));
    EXPECT_EQ(half->parameter_count(), copy->parameter_count());
    float worst = 0.0f;  // relative to the reference's scale, over every q and k
    for (int s = 0; s < ref.sequences(); ++s) {
      const Capture a = half->forward(ref.input(s), {.hidden = true}),
                    b = copy->forward(ref.input(s), {.hidden = true});
      EXPECT_LE(max_abs_diff(a.hidden, b.hidden), 1e-6f) << name << " s" << s << " hidden";
      for (size_t l = 0; l < a.layers.size(); ++l) {
        const std::string lp = "s" + std::to_string(s) + ".l" + std::to_string(l) + ".";
        EXPECT_LE(max_abs_diff(a.layers[l].q, b.layers[l].q), 1e-6f) << name << " " << lp << "q";
        EXPECT_LE(max_abs_diff(a.layers[l].k, b.layers[l].k), 1e-6f) << name << " " << lp << "k";
        for (const auto& [got, tensor] : {std::pair{&a.layers[l].q, lp + "q"}, {&a.layers[l].k, lp + "k"}}) {
          const std::vector<float> expected = ref.floats(tensor);
          worst = std::max(worst, max_abs_diff(*got, expected) / largest_magnitude(expected));
        }
      }
    }
    const float tolerance = kRelativeTolerance[dtype == DType::BF16];
    EXPECT_LE(worst, tolerance) << name;
    RecordProperty(name + "_relative_error", std::to_string(worst));
    std::printf("%s %s: q/k within %.2e of the reference's largest |value|\n", fixture.name.c_str(),
                name.c_str(), worst);
  }
}

// WeightStorage::Copied (the server's probes) computes what the mapped model computes and no longer needs the
// file: truncated under it, the model still runs (a mapped one would die of SIGBUS).
TEST(WeightStorage, CopiedWeightsComputeTheSameAndSurviveTheFileBeingTruncated) {
  test::TempDir dir;
  const fs::path model_dir = dir / "brown-gpt";  // an F16 checkpoint
  fs::copy(test::source_dir() / "models/brown-gpt", model_dir);
  const ModelInput input{.input_ids = {1, 2, 3, 4, 5}, .token_type_ids = {}, .pixel_values = {}};
  const Capture mapped = load_model(model_dir)->forward(input, {.hidden = true});
  const std::unique_ptr<Model> copied = load_model(model_dir, WeightStorage::Copied);
  EXPECT_GT(copied->weight_copy_bytes(), 2 * fs::file_size(model_dir / "model.safetensors") * 9 / 10);
  fs::resize_file(model_dir / "model.safetensors", 0);
  const Capture after = copied->forward(input, {.hidden = true});
  EXPECT_EQ(after.hidden, mapped.hidden);
  EXPECT_EQ(after.layers.back().q, mapped.layers.back().q);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HalfWeights, ::testing::ValuesIn(test::all_fixtures()),
                         test::fixture_test_name);

}  // namespace
}  // namespace attnviz
