// attnviz extract as a user runs it: the real binary over the reference inputs of every fixture, and over
// bad inputs (non-zero exit, one line of error, nothing left behind).
#include <string>

#include <gtest/gtest.h>

#include "../run/conformance.hpp"
#include "support/process.hpp"

namespace attnviz {
namespace {

using test::Fixture;
using test::TempDir;
using test::write_text;

using Output = test::ProcessOutput;

Output run_extract(const std::string& arguments) { return test::run_attnviz("extract " + arguments); }

using test::shell_quoted;

// `attnviz extract` of fixture f's reference inputs into tmp/run, with `flags`.
Output extract_fixture(const Fixture& f, const TempDir& tmp, const std::string& flags) {
  const auto input = test::write_reference_jsonl(f, tmp.path());
  return run_extract("--model " + shell_quoted(f.model) + " --input " + shell_quoted(input) + " --out " +
                     shell_quoted(tmp / "run") + flags);
}

TEST(ExtractCli, MatchesEveryReferenceInF32) {
  for (const Fixture& f : test::all_fixtures()) {
    SCOPED_TRACE(f.name);
    TempDir tmp;
    const Output out = extract_fixture(f, tmp, " --dtype f32 --threads 2");
    ASSERT_EQ(out.status, 0) << out.err;
    test::expect_run_matches(*Run::open(tmp / "run"), f, {});
  }
}

TEST(ExtractCli, DefaultF16MatchesWithinHalfPrecision) {
  for (const Fixture& f : test::all_fixtures()) {
    SCOPED_TRACE(f.name);
    TempDir tmp;
    const Output out = extract_fixture(f, tmp, "");
    ASSERT_EQ(out.status, 0) << out.err;
    EXPECT_NE(out.err.find("tokens/s"), std::string::npos) << out.err;
    test::expect_run_matches(*Run::open(tmp / "run"), f, {1e-4f, 1e-3f, 5e-3f});
  }
}

// --values in F16 (the default) on the GQA fixture: the manifest says so, the file holds exactly q, k and v
// (the v tensors half as large again as q at kv_heads = heads / 2), and v equals a forward pass in F16.
TEST(ExtractCli, ValuesRoundTrip) {
  for (const Fixture& fixture : test::all_fixtures()) {
    if (fixture.name != "hf/llama") continue;
    TempDir tmp;
    const Output out = extract_fixture(fixture, tmp, " --values");
    ASSERT_EQ(out.status, 0) << out.err;
    const auto run = Run::open(tmp / "run");
    EXPECT_EQ(run->manifest()["qk"]["values"], true);
    EXPECT_EQ(run->manifest()["qk"]["dtype"], "F16");
    ASSERT_TRUE(run->has_values());
    const RunModel& m = run->model();
    const auto file = SafetensorsFile::open(tmp / "run/qk.safetensors");
    uint64_t bytes = 0;
    for (int layer = 0; layer < m.num_layers; ++layer) {
      const TensorView& v = file->at("l" + std::to_string(layer) + ".v");
      EXPECT_EQ(v.dtype, DType::F16);
      EXPECT_EQ(v.shape, (std::vector<int64_t>{m.num_kv_heads, run->num_tokens(), m.head_dim}));
      bytes += v.bytes.size();
    }
    EXPECT_EQ(bytes, uint64_t(m.num_layers) * m.num_kv_heads * run->num_tokens() * m.head_dim * 2);
    const auto reference = SafetensorsFile::open(fixture.reference / "values.safetensors");
    const RunSequence& seq = run->sequences()[1];
    const std::vector<float> want = reference->at("s1.l1.v").to_f32();
    std::vector<float> got;
    for (int h = 0; h < m.num_kv_heads; ++h) {
      const auto rows = run->values(1, h, seq.first_token, seq.token_count);
      got.insert(got.end(), rows.begin(), rows.end());
    }
    EXPECT_LE(test::max_abs_diff(got, want), 2e-3f);  // F16 rounding of values of magnitude < 1
    return;
  }
  FAIL() << "no hf/llama fixture";
}

TEST(ExtractCli, ExistingOutputNeedsForce) {
  TempDir tmp;
  write_text(tmp / "a.jsonl", "{\"input_ids\": [1, 2]}\n");
  const std::string args = "--model " + shell_quoted(test::source_dir() / "tests/fixtures/hf/gpt2/model") +
                           " --input " + shell_quoted(tmp / "a.jsonl") + " --out " +
                           shell_quoted(tmp / "run");
  ASSERT_EQ(run_extract(args).status, 0);
  const Output again = run_extract(args);
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.err.find("already exists (--force replaces it"), std::string::npos) << again.err;
  EXPECT_EQ(run_extract(args + " --force").status, 0);
}

struct BadCase {
  std::string name, model, input_name, input, flags, expected;
};

TEST(ExtractCli, BadInputFailsWithOneLineAndLeavesNothing) {
  const std::string gpt2 = (test::source_dir() / "tests/fixtures/hf/gpt2/model").string();
  const std::string vit = (test::source_dir() / "tests/fixtures/hf/vit/model").string();
  const std::string brown = (test::source_dir() / "models/brown-gpt").string();
  const std::vector<BadCase> cases = {
      {"missing input", gpt2, "other.txt", "x\n", "", "does not exist"},
      {"malformed jsonl line", gpt2, "a.jsonl", "{\"input_ids\": [1]}\n\n{\"input_ids\": [1,]}\n", "",
       "a.jsonl:3: "},
      {"empty input", gpt2, "a.txt", "\n", "", "holds no inputs"},
      {"image that does not decode", vit, "a.jsonl", "{\"image\": \"a.jsonl\"}\n", "", "a.jsonl"},
      {"longer than the positions", brown, "a.txt", std::string(2000, 'q') + " end\n", "",
       "more than the model's 256 positions"},
      {"id outside the vocabulary", gpt2, "a.jsonl", "{\"input_ids\": [5, 99999]}\n", "",
       "token id 99999 (position 1) is outside the model's vocabulary"},
      {"text to an image model", vit, "a.txt", "hello\n", "", "a text input, but vit is an image model"},
      {"image to a text model", gpt2, "a.jsonl", "{\"image\": \"x.png\"}\n", "", "an image input, but gpt2"},
      {"unsupported architecture", "UNSUPPORTED", "a.jsonl", "{\"input_ids\": [1]}\n", "", "t5"},
      {"bad dtype", gpt2, "a.jsonl", "{\"input_ids\": [1]}\n", "--dtype f8",
       "--dtype must be f16 or f32, not \"f8\""},
      {"a batch of no tokens", gpt2, "a.jsonl", "{\"input_ids\": [1]}\n", "--batch 0", "--batch"},
      {"negative threads", gpt2, "a.jsonl", "{\"input_ids\": [1]}\n", "--threads=-2", "--threads"},
      {"maximum length beyond the positions", brown, "a.txt", "hello\n", "--max-length 300",
       "a maximum length of 300 tokens is more than the model's 256 positions"},
      {"zero max-length", gpt2, "a.jsonl", "{\"input_ids\": [1]}\n", "--max-length 0", "--max-length"},
      {"negative max-tokens", gpt2, "a.jsonl", "{\"input_ids\": [1]}\n", "--max-tokens -3", "--max-tokens"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir tmp;
    write_text(tmp / c.input_name, c.input);
    std::string model = c.model;
    if (model == "UNSUPPORTED") {
      std::filesystem::create_directories(tmp / "model");
      write_text(tmp / "model" / "config.json", "{\"model_type\": \"t5\"}");
      model = (tmp / "model").string();
    }
    const std::string input = c.name == "missing input" ? "missing.txt" : c.input_name;
    const Output out =
        run_extract("--model " + shell_quoted(model) + " --input " + shell_quoted(tmp / input) + " --out " +
                    shell_quoted(tmp / "run") + " " + c.flags);
    EXPECT_NE(out.status, 0);
    EXPECT_NE(out.err.find(c.expected), std::string::npos) << out.err;
    // The error is one line, the last; a progress line may come before it when a batch failed.
    ASSERT_FALSE(out.err.empty());
    const size_t line = out.err.rfind('\n', out.err.size() - 2) + 1;  // 0 when there is one line
    EXPECT_EQ(out.err.compare(line, 16, "attnviz: error: "), 0) << out.err;
    EXPECT_EQ(out.err.find("attnviz: error: "), line) << out.err;
    EXPECT_FALSE(std::filesystem::exists(tmp / "run"));
    for (const auto& entry : std::filesystem::directory_iterator(tmp.path()))
      EXPECT_EQ(entry.path().filename().string().find("run"), std::string::npos) << entry.path();
  }
}

TEST(ExtractCli, InterruptLeavesNothingBehind) {
  TempDir tmp;
  // Enough work (70k tokens) that the signal arrives while it runs. SIGTERM takes the same path as Ctrl-C's
  // SIGINT, which a shell's background job would ignore.
  std::string lines;
  for (int i = 0; i < 2000; ++i)
    lines +=
        "The jury further said in term-end presentments that the City Executive "
        "Committee, which had over-all charge of the election, deserves praise.\n";
  write_text(tmp / "a.txt", lines);
  const std::string command = std::string(ATTNVIZ_BINARY) + " extract --model " +
                              shell_quoted(test::source_dir() / "models/brown-gpt") + " --input " +
                              shell_quoted(tmp / "a.txt") + " --out " + shell_quoted(tmp / "run") +
                              " --threads 1 2>/dev/null & pid=$!; sleep 1; kill -TERM $pid; wait $pid";
  const int status = std::system(command.c_str());
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_EQ(tmp.entries(), std::vector<std::string>{"a.txt"});
}

}  // namespace
}  // namespace attnviz
