// The run directory format: writer and reader round trip, the reader's validation, attention recompute.
#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "conformance.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/half.hpp"
#include "core/json.hpp"
#include "run/run_writer.hpp"
#include "support/run_manifest.hpp"
#include "support/tiny_run.hpp"

namespace attnviz {
namespace {

using test::edit_manifest;
using test::expect_open_error;
using test::TempDir;

// Two text sequences of 3 and 2 tokens, 2 layers, 4 query heads sharing 2 key heads, head_dim 3.
RunContents small_contents(DType dtype) {
  RunContents c =
      test::TinyRun::text({"llama", "text", 2, 4, 2, 3, true, 0.5f}, {{"a", " b", " c"}, {"d", " é"}})
          .contents;
  c.dataset.truncated = {1};
  c.tokens.special[0] = 1;
  c.dtype = dtype;
  return c;
}

// Deterministic vectors of sequence s, layer l: [heads, T, head_dim].
std::vector<float> vectors(int s, int layer, char which, int heads, int tokens) {
  std::mt19937 rng(s * 100 + layer * 10 + which);
  std::normal_distribution<float> normal;
  std::vector<float> v(heads * tokens * 3);
  for (float& x : v) x = normal(rng);
  return v;
}

void write_small_run(const std::filesystem::path& dir, DType dtype) {
  std::filesystem::create_directories(dir);
  RunWriter writer(dir, small_contents(dtype));
  for (int s = 0; s < 2; ++s)
    for (int layer = 0; layer < 2; ++layer) {
      const int t = s == 0 ? 3 : 2;
      writer.write(s, layer, vectors(s, layer, 'q', 4, t), vectors(s, layer, 'k', 2, t));
    }
  writer.finish();
}

TEST(RunFormat, RoundTripF32) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  const auto run = Run::open(tmp / "run");
  EXPECT_EQ(run->model().model_type, "llama");
  EXPECT_EQ(run->model().num_kv_heads, 2);
  EXPECT_EQ(run->model().kv_head_for(3), 1);
  EXPECT_TRUE(run->model().causal);
  EXPECT_FLOAT_EQ(run->model().attention_scale, 0.5f);
  ASSERT_EQ(run->num_tokens(), 5);
  EXPECT_EQ(run->tokens().token[4], " é");
  EXPECT_EQ(run->tokens().char_end[4], 3);
  EXPECT_EQ(run->tokens().special[0], 1);
  ASSERT_EQ(run->sequences().size(), 2u);
  EXPECT_EQ(run->sequences()[1].text, "d é");
  EXPECT_EQ(run->sequences()[1].first_token, 3);
  EXPECT_EQ(run->manifest()["dataset"]["truncated"], nlohmann::json::array({1}));
  EXPECT_EQ(run->manifest()["dataset"]["count"], 2);
  for (int s = 0; s < 2; ++s)
    for (int layer = 0; layer < 2; ++layer) {
      const auto& seq = run->sequences()[s];
      const auto q = vectors(s, layer, 'q', 4, seq.token_count);
      for (int h = 0; h < 4; ++h) {
        const auto got = run->queries(layer, h, seq.first_token, seq.token_count);
        EXPECT_EQ(got, std::vector<float>(q.begin() + h * got.size(), q.begin() + (h + 1) * got.size()));
      }
      const auto k = vectors(s, layer, 'k', 2, seq.token_count);
      const auto got = run->keys(layer, 1, seq.first_token, seq.token_count);
      EXPECT_EQ(got, std::vector<float>(k.begin() + got.size(), k.end()));
    }
  // Whole-head reads are the sequences' rows in token order.
  const auto all = run->queries(1, 2);
  ASSERT_EQ(all.size(), 15u);
  EXPECT_EQ(all[9], vectors(1, 1, 'q', 4, 2)[2 * 2 * 3]);
}

TEST(RunFormat, RoundTripF16WithinHalfPrecision) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F16);
  const auto run = Run::open(tmp / "run");
  EXPECT_EQ(run->manifest()["qk"]["dtype"], "F16");
  const auto q = vectors(0, 1, 'q', 4, 3);
  const auto got = run->queries(1, 0, 0, 3);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], f16_to_f32(f32_to_f16(q[i])));
}

// The writer's (vectorised) conversion rounds exactly as f32_to_f16 does, at the edges of the range too.
TEST(RunFormat, F16ConversionMatchesTheReference) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> specials = {0.0f,    -0.0f,    1.0f,     65504.0f, 65519.0f, 65520.0f, 1e6f,
                                       -inf,    inf,      6.1e-5f,  5.96e-8f, 2.98e-8f, 2.99e-8f, 1e-9f,
                                       1.0005f, 1.00049f, -2.5e-6f, 3.14159f, -123.456f};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> exponent(-26.0f, 17.0f);
  std::vector<float> values(2 * 4 * 3 * 5);  // l0.q and l1.q of sequence 0 hold the specials, then random
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = i < specials.size() ? specials[i] : (i % 2 ? -1.0f : 1.0f) * std::exp2(exponent(rng));
  TempDir tmp;
  RunContents c = small_contents(DType::F16);
  c.model.head_dim = 5;
  std::filesystem::create_directories(tmp / "run");
  RunWriter writer(tmp / "run", c);
  for (int s = 0; s < 2; ++s)
    for (int layer = 0; layer < 2; ++layer) {
      const int t = s == 0 ? 3 : 2;
      std::vector<float> q(4 * t * 5), k(2 * t * 5, 0.0f);
      for (size_t i = 0; i < q.size(); ++i) q[i] = values[(layer * q.size() + i) % values.size()];
      writer.write(s, layer, q, k);
    }
  writer.finish();
  const auto run = Run::open(tmp / "run");
  for (int layer = 0; layer < 2; ++layer)
    for (int h = 0; h < 4; ++h) {
      const auto got = run->queries(layer, h, 0, 3);
      for (size_t i = 0; i < got.size(); ++i) {
        const float want = values[(layer * 60 + h * 15 + i) % values.size()];
        EXPECT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(f16_to_f32(f32_to_f16(want))))
            << want;
      }
    }
}

TEST(RunFormat, AttentionIsTheCausalSoftmaxOfScaledDots) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  const auto run = Run::open(tmp / "run");
  const int layer = 1, head = 3, s = 0, t = 3, d = 3;
  const auto q = vectors(s, layer, 'q', 4, t), k = vectors(s, layer, 'k', 2, t);
  const auto attn = run->attention(layer, head, s);
  ASSERT_EQ(attn.size(), 9u);
  for (int i = 0; i < t; ++i) {
    std::vector<double> row(t, 0.0);
    double sum = 0.0;
    for (int j = 0; j <= i; ++j) {  // causal: keys up to the query
      double dot = 0.0;
      for (int x = 0; x < d; ++x)
        dot += q[(head * t + i) * d + x] * k[(1 * t + j) * d + x];  // kv head 3/2 = 1
      row[j] = std::exp(0.5 * dot);
      sum += row[j];
    }
    for (int j = 0; j < t; ++j) EXPECT_NEAR(attn[i * t + j], row[j] / sum, 1e-6) << i << "," << j;
  }
}

TEST(RunFormat, OpenRejectsAnotherVersion) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m["version"] = 2; });
  expect_open_error(tmp / "run", (tmp / "run").string() + ": format version 2, this attnviz reads version 1");
}

TEST(RunFormat, OpenRejectsAnotherFormat) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m["format"] = "something"; });
  expect_open_error(tmp / "run", "\"format\" is not \"attnviz-run\"");
}

TEST(RunFormat, OpenNamesTheTruncatedQkFile) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F16);
  const auto qk = tmp / "run" / "qk.safetensors";
  std::filesystem::resize_file(qk, std::filesystem::file_size(qk) - 10);
  expect_open_error(tmp / "run", qk.string() + " is truncated");
}

TEST(RunFormat, OpenReportsMissingFiles) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  std::filesystem::remove(tmp / "run" / "tokens.json");
  expect_open_error(tmp / "run", "tokens.json");
  std::filesystem::remove(tmp / "run" / "manifest.json");
  expect_open_error(tmp / "run", "not an attnviz run (no manifest.json)");
  expect_open_error(tmp / "missing", "no such run directory");
}

TEST(RunFormat, OpenReportsMissingQkFile) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  std::filesystem::remove(tmp / "run" / "qk.safetensors");
  expect_open_error(tmp / "run", "qk.safetensors");
}

TEST(RunFormat, OpenChecksSizesAgainstTheManifest) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m["model"]["head_dim"] = 2; });
  expect_open_error(tmp / "run", "tensor l0.q is F32 [4,5,3], the manifest says F32 [4,5,2]");
  edit_manifest(tmp / "run", [](nlohmann::json& m) {
    m["model"]["head_dim"] = 3;
    m["qk"]["dtype"] = "F16";
  });
  expect_open_error(tmp / "run", "the manifest says F16");
  edit_manifest(tmp / "run", [](nlohmann::json& m) {
    m["qk"]["dtype"] = "F32";
    m["qk"]["num_tokens"] = 6;
  });
  expect_open_error(tmp / "run", "\"num_tokens\" is 6 but the sequences hold 5 tokens");
  edit_manifest(tmp / "run", [](nlohmann::json& m) {
    m["qk"]["num_tokens"] = 5;
    m["sequences"][1]["first_token"] = 2;
  });
  expect_open_error(tmp / "run", "sequence 1: \"first_token\" is 2, expected 3");
}

// qk.values is optional: a manifest that claims values the file lacks, or says it in the wrong type, is an
// error naming it; `false` reads as no values.
TEST(RunFormat, OpenChecksTheValuesClaim) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m["qk"]["values"] = false; });
  EXPECT_FALSE(Run::open(tmp / "run")->has_values());
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m["qk"]["values"] = "yes"; });
  expect_open_error(tmp / "run", "\"values\" must be true or false");
  edit_manifest(tmp / "run", [](nlohmann::json& m) { m["qk"]["values"] = true; });
  expect_open_error(tmp / "run", "is truncated");
}

TEST(RunFormat, OpenChecksTheTokenTable) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  nlohmann::json tokens = read_json_file(tmp / "run" / "tokens.json");
  tokens["position"][4] = 0;
  write_file_atomic(tmp / "run" / "tokens.json", tokens.dump());
  expect_open_error(tmp / "run", "token 4 should be position 1 of sequence 1");
  tokens["position"][4] = 1;
  tokens["token_id"].erase(0);
  write_file_atomic(tmp / "run" / "tokens.json", tokens.dump());
  expect_open_error(tmp / "run", "\"token_id\" must be an array of 5 values");
}

TEST(RunFormat, ReadsOutOfRangeAreErrors) {
  TempDir tmp;
  write_small_run(tmp / "run", DType::F32);
  const auto run = Run::open(tmp / "run");
  EXPECT_THROW(run->queries(2, 0), Error);
  EXPECT_THROW(run->queries(0, 4), Error);
  EXPECT_THROW(run->keys(0, 2), Error);
  EXPECT_THROW(run->queries(0, 0, 4, 2), Error);
  EXPECT_THROW(run->attention(0, 0, 2), Error);
}

TEST(RunFormat, WriterRequiresEverySequenceAndLayer) {
  TempDir tmp;
  RunWriter writer(tmp.path(), small_contents(DType::F32));
  writer.write(0, 0, vectors(0, 0, 'q', 4, 3), vectors(0, 0, 'k', 2, 3));
  EXPECT_THROW(writer.write(0, 1, vectors(0, 0, 'q', 4, 2), vectors(0, 0, 'k', 2, 2)), Error);
  try {
    writer.finish();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "run writer: sequence 0 layer 1 was never written");
  }
}

}  // namespace
}  // namespace attnviz
