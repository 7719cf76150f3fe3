// The extract job through the library: conformance with the Hugging Face references, text inputs, limits,
// and bad input (an Error, and nothing left behind).
#include <gtest/gtest.h>

#include <fstream>

#include "conformance.hpp"
#include "core/error.hpp"
#include "run/extract.hpp"

namespace attnviz {
namespace {

using test::Fixture;
using test::TempDir;
using test::write_text;

ExtractOptions options_for(const std::string& model, const std::filesystem::path& input,
                           const std::filesystem::path& out) {
  ExtractOptions o;
  o.model_dir = model;
  o.input = input;
  o.out = out;
  o.threads = 1;
  o.progress = false;
  return o;
}

TEST(Extract, MatchesEveryReferenceInF32) {
  for (const Fixture& f : test::all_fixtures()) {
    SCOPED_TRACE(f.name);
    TempDir tmp;
    ExtractOptions o = options_for(f.model.string(), test::write_reference_jsonl(f, tmp.path()), tmp / "run");
    o.dtype = DType::F32;
    o.batch_tokens = 1;  // one sequence per pass here; the binary test runs them batched
    const ExtractResult result = extract(o);
    EXPECT_EQ(result.sequences, f.sequences);
    const auto run = Run::open(tmp / "run");
    EXPECT_EQ(run->num_tokens(), result.tokens);
    test::expect_run_matches(*run, f, {});
  }
}

TEST(Extract, MatchesEveryReferenceInF16Batched) {
  for (const Fixture& f : test::all_fixtures()) {
    SCOPED_TRACE(f.name);
    TempDir tmp;
    const ExtractOptions o =
        options_for(f.model.string(), test::write_reference_jsonl(f, tmp.path()), tmp / "run");
    extract(o);
    const auto run = Run::open(tmp / "run");
    EXPECT_EQ(run->manifest()["qk"]["dtype"], "F16");
    test::expect_run_matches(*run, f, {1e-4f, 1e-3f, 5e-3f});
  }
}

// --values: every hf fixture's value vectors as values.safetensors holds them (tests/fixtures/README.md), the
// file larger by exactly the v tensors, the manifest saying so; without it the run has none.
TEST(Extract, ValuesMatchTheReferenceAndAddTheirBytes) {
  for (const Fixture& f : test::all_fixtures()) {
    if (!std::filesystem::exists(f.reference / "values.safetensors")) continue;
    SCOPED_TRACE(f.name);
    TempDir tmp;
    const auto input = test::write_reference_jsonl(f, tmp.path());
    ExtractOptions o = options_for(f.model.string(), input, tmp / "plain");
    o.dtype = DType::F32;
    extract(o);
    o.out = tmp / "values";
    o.values = true;
    extract(o);
    const auto plain = Run::open(tmp / "plain"), run = Run::open(tmp / "values");
    EXPECT_FALSE(plain->has_values());
    EXPECT_THROW(plain->values(0, 0), Error);
    EXPECT_FALSE(plain->manifest()["qk"].contains("values"));
    ASSERT_TRUE(run->has_values());
    EXPECT_EQ(run->manifest()["qk"]["values"], true);
    const RunModel& m = run->model();
    // The data sections (after the 8-byte length and the header): q, k and v of every layer, nothing else.
    const auto data_bytes = [](const std::filesystem::path& path) {
      std::ifstream in(path, std::ios::binary);
      uint64_t header = 0;
      in.read(reinterpret_cast<char*>(&header), 8);
      return std::filesystem::file_size(path) - 8 - header;
    };
    const uint64_t row = uint64_t(run->num_tokens()) * m.head_dim * 4;
    EXPECT_EQ(data_bytes(tmp / "plain/qk.safetensors"), m.num_layers * (m.num_heads + m.num_kv_heads) * row);
    EXPECT_EQ(data_bytes(tmp / "values/qk.safetensors"),
              m.num_layers * (m.num_heads + 2 * m.num_kv_heads) * row);
    const auto reference = SafetensorsFile::open(f.reference / "values.safetensors");
    for (int s = 0; s < f.sequences; ++s) {
      const RunSequence& seq = run->sequences()[s];
      for (int layer = 0; layer < m.num_layers; ++layer) {
        const std::string name = "s" + std::to_string(s) + ".l" + std::to_string(layer) + ".v";
        const std::vector<float> want = reference->at(name).to_f32();
        std::vector<float> got;
        for (int h = 0; h < m.num_kv_heads; ++h) {
          const auto rows = run->values(layer, h, seq.first_token, seq.token_count);
          got.insert(got.end(), rows.begin(), rows.end());
        }
        EXPECT_LE(test::max_abs_diff(got, want), 1e-4f) << name;
      }
    }
  }
}

TEST(Extract, TextInputsRecordDisplayTokensAndOffsets) {
  TempDir tmp;
  write_text(tmp / "a.txt", "The jury said\n\nIt was é\n");
  extract(options_for((test::source_dir() / "models/brown-gpt").string(), tmp / "a.txt", tmp / "run"));
  const auto run = Run::open(tmp / "run");
  ASSERT_EQ(run->sequences().size(), 2u);
  EXPECT_EQ(run->sequences()[1].text, "It was é");
  EXPECT_EQ(run->manifest()["dataset"]["kind"], "txt");
  EXPECT_EQ(run->manifest()["model"]["modality"], "text");
  const TokenTable& t = run->tokens();
  // Byte-level tokens are shown decoded ("Ġjury" as " jury"), and their offsets cut the text back out.
  for (size_t i = 0; i < t.size(); ++i) {
    const RunSequence& s = run->sequences()[t.sequence[i]];
    if (s.text.find("é") != std::string::npos) continue;  // offsets count code points, not bytes
    EXPECT_EQ(s.text.substr(t.char_start[i], t.char_end[i] - t.char_start[i]), t.token[i]);
  }
  EXPECT_EQ(t.position[run->sequences()[1].first_token], 0);
}

TEST(Extract, BertPairsShiftTheSecondSegment) {
  TempDir tmp;
  write_text(tmp / "a.jsonl", "{\"text\": \"the bride\", \"text_pair\": \"her brother\"}\n");
  extract(options_for((test::source_dir() / "models/brown-bert").string(), tmp / "a.jsonl", tmp / "run"));
  const auto run = Run::open(tmp / "run");
  const std::string text = run->sequences()[0].text;
  EXPECT_EQ(text, "the bride\nher brother");
  const TokenTable& t = run->tokens();
  EXPECT_EQ(t.token.front(), "[CLS]");
  EXPECT_EQ(t.special.front(), 1);
  EXPECT_EQ(t.token.back(), "[SEP]");
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.special[i] || t.token[i].rfind("##", 0) == 0) continue;
    EXPECT_EQ(text.substr(t.char_start[i], t.char_end[i] - t.char_start[i]), t.token[i]);
  }
}

TEST(Extract, MaxTokensKeepsWholeInputs) {
  TempDir tmp;
  write_text(tmp / "a.jsonl", "{\"input_ids\": [1, 2, 3]}\n{\"input_ids\": [4, 5]}\n{\"input_ids\": [6]}\n");
  ExtractOptions o = options_for((test::source_dir() / "tests/fixtures/hf/gpt2/model").string(),
                                 tmp / "a.jsonl", tmp / "run");
  o.max_tokens = 4;
  EXPECT_EQ(extract(o).tokens, 3);
  const auto run = Run::open(tmp / "run");
  EXPECT_EQ(run->manifest()["dataset"]["inputs"], 3);
  EXPECT_EQ(run->manifest()["dataset"]["count"], 1);
  EXPECT_EQ(run->tokens().token[0], "1");  // no tokenizer in this model folder: the id is shown
}

TEST(Extract, MaxLengthCutsLongInputs) {
  TempDir tmp;
  std::string ids = "[";
  for (int i = 0; i < 70; ++i) ids += (i ? "," : "") + std::to_string(i);
  write_text(tmp / "a.jsonl", "{\"input_ids\": [1, 2]}\n{\"input_ids\": " + ids + "]}\n");
  ExtractOptions o = options_for((test::source_dir() / "tests/fixtures/hf/gpt2/model").string(),
                                 tmp / "a.jsonl", tmp / "run");
  try {  // the model has 64 positions
    extract(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 ((tmp / "a.jsonl").string() +
                  ":2: 70 tokens, more than the model's 64 positions (a maximum length cuts longer inputs)")
                     .c_str());
  }
  EXPECT_EQ(tmp.entries(), std::vector<std::string>{"a.jsonl"});
  o.max_length = 10;
  EXPECT_EQ(extract(o).tokens, 12);
  const auto run = Run::open(tmp / "run");
  EXPECT_EQ(run->manifest()["dataset"]["truncated"], nlohmann::json::array({1}));
  EXPECT_EQ(run->sequences()[1].token_count, 10);
}

TEST(Extract, ExistingRunNeedsForce) {
  TempDir tmp;
  write_text(tmp / "a.jsonl", "{\"input_ids\": [1, 2, 3]}\n");
  ExtractOptions o = options_for((test::source_dir() / "tests/fixtures/hf/gpt2/model").string(),
                                 tmp / "a.jsonl", tmp / "run");
  extract(o);
  EXPECT_THROW(extract(o), Error);
  o.force = true;
  write_text(tmp / "a.jsonl", "{\"input_ids\": [1, 2, 3, 4]}\n");
  extract(o);
  EXPECT_EQ(Run::open(tmp / "run")->num_tokens(), 4);
  EXPECT_EQ(tmp.entries(), (std::vector<std::string>{"a.jsonl", "run"}));
  // --force never replaces a folder that is not a run.
  std::filesystem::create_directories(tmp / "other");
  write_text(tmp / "other" / "keep.txt", "x");
  o.out = tmp / "other";
  EXPECT_THROW(extract(o), Error);
  EXPECT_TRUE(std::filesystem::exists(tmp / "other" / "keep.txt"));
}

TEST(Extract, OutputPathWithTrailingSlash) {
  TempDir tmp;
  write_text(tmp / "a.jsonl", "{\"input_ids\": [1, 2, 3]}\n");
  const std::string gpt2 = (test::source_dir() / "tests/fixtures/hf/gpt2/model").string();
  extract(options_for(gpt2, tmp / "a.jsonl", (tmp / "run").string() + "/"));
  EXPECT_EQ(Run::open(tmp / "run")->num_tokens(), 3);
  EXPECT_EQ(tmp.entries(), (std::vector<std::string>{"a.jsonl", "run"}));
  ExtractOptions o = options_for(gpt2, tmp / "a.jsonl", tmp / ".");
  o.force = true;
  EXPECT_THROW(extract(o), Error);
}

TEST(Extract, ImageFolderInput) {
  TempDir tmp;
  const auto run_dir = tmp / "run";
  extract(options_for((test::source_dir() / "models/mnist-vit").string(),
                      test::source_dir() / "models/mnist-vit", run_dir));
  const auto run = Run::open(run_dir);
  ASSERT_EQ(run->sequences().size(), 3u);
  EXPECT_EQ(run->sequences()[0].grid_rows, 7);
  EXPECT_EQ(std::filesystem::path(run->sequences()[2].image).filename(), "digit2_label4.png");
  EXPECT_EQ(run->tokens().patch_row[0], -1);
  EXPECT_EQ(run->tokens().patch_col[50 + 1 + 8], 1);  // sequence 1, patch (1, 1)
  EXPECT_EQ(run->tokens().special[50], 1);
}

// Each bad input is an Error whose message names the problem, and leaves no output (or staging) folder.
struct BadCase {
  std::string name, model, input_name, input, expected;
};

TEST(Extract, BadInputsAreErrorsAndLeaveNothingBehind) {
  const std::string gpt2 = (test::source_dir() / "tests/fixtures/hf/gpt2/model").string();
  const std::string vit = (test::source_dir() / "tests/fixtures/hf/vit/model").string();
  const std::string brown = (test::source_dir() / "models/brown-gpt").string();
  const std::vector<BadCase> cases = {
      {"malformed jsonl line", gpt2, "a.jsonl", "{\"input_ids\": [1]}\n{oops\n", "a.jsonl:2: "},
      {"empty input", gpt2, "a.txt", "\n\n", "holds no inputs"},
      {"id outside the vocabulary", gpt2, "a.jsonl", "{\"input_ids\": [1, 1000]}\n",
       "a.jsonl:1: token id 1000 (position 1) is outside the model's vocabulary of 1000 tokens"},
      {"too long", brown, "a.txt", std::string(3000, 'x') + "\n", "a.txt:1: "},
      {"text to an image model", vit, "a.txt", "hello\n", "a.txt:1: a text input, but vit is an image model"},
      {"image to a text model", gpt2, "a.jsonl", "{\"image\": \"x.png\"}\n",
       "a.jsonl:1: an image input, but gpt2 is a text model"},
      {"text without a tokenizer", gpt2, "a.txt", "hello\n",
       "a.txt:1: a text input, but the model folder has no tokenizer"},
      {"image that does not decode", vit, "a.jsonl", "{\"image\": \"a.jsonl\"}\n", "a.jsonl"},
      {"missing image", vit, "a.jsonl", "{\"image\": \"nothere.png\"}\n", "nothere.png does not exist"},
      {"missing model", "/nonexistent/model", "a.txt", "hi\n", "/nonexistent/model"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir tmp;
    write_text(tmp / c.input_name, c.input);
    try {
      extract(options_for(c.model, tmp / c.input_name, tmp / "run"));
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
    EXPECT_EQ(tmp.entries(), std::vector<std::string>{c.input_name});
  }
}

TEST(Extract, UnsupportedArchitectureIsAnError) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "model");
  write_text(tmp / "model" / "config.json", "{\"model_type\": \"t5\", \"architectures\": [\"T5Model\"]}");
  write_text(tmp / "a.jsonl", "{\"input_ids\": [1]}\n");
  try {
    extract(options_for((tmp / "model").string(), tmp / "a.jsonl", tmp / "run"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t5"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "run"));
}

}  // namespace
}  // namespace attnviz
