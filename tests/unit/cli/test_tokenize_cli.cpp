// attnviz tokenize as a user runs it: the real binary, texts as arguments or JSON lines on stdin, and bad
// input (non-zero exit, one line of error).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/json.hpp"
#include "support/process.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnviz {
namespace {

const std::string kRoot = ATTNVIZ_SOURCE_DIR;
const std::string kGpt2 = kRoot + "/tests/fixtures/tokenizers/gpt2/tokenizer.json";
const std::string kBert = kRoot + "/tests/fixtures/tokenizers/bert-base-uncased";

using Output = test::ProcessOutput;

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Runs `attnviz tokenize <arguments>` with `input` on stdin.
Output run_tokenize(const std::string& arguments, const std::string& input = "") {
  return test::run_attnviz("tokenize " + arguments, input);
}

std::vector<nlohmann::json> lines_of(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

nlohmann::json expected_json(const Encoding& e) {
  nlohmann::json offsets = nlohmann::json::array();
  for (const auto& [b, end] : e.offsets) offsets.push_back({b, end});
  return {{"ids", e.ids}, {"tokens", e.tokens}, {"offsets", offsets}, {"type_ids", e.type_ids}};
}

TEST(TokenizeCli, PrintsOneJsonObjectPerTextArgument) {
  const Output out = run_tokenize("--model " + quoted(kBert) + " 'Hello world'");
  ASSERT_EQ(out.status, 0) << out.err;
  EXPECT_EQ(out.out,
            "{\"ids\":[101,7592,2088,102],\"tokens\":[\"[CLS]\",\"hello\",\"world\",\"[SEP]\"],"
            "\"offsets\":[[0,0],[0,5],[6,11],[0,0]],\"type_ids\":[0,0,0,0]}\n");
  EXPECT_EQ(out.err, "");
}

TEST(TokenizeCli, NoSpecialSkipsThePostProcessorTokens) {
  const Output out = run_tokenize("--model " + quoted(kBert) + " --no-special 'Hello world' 'x'");
  ASSERT_EQ(out.status, 0) << out.err;
  const auto lines = lines_of(out.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["tokens"], (std::vector<std::string>{"hello", "world"}));
  EXPECT_EQ(lines[1]["ids"], (std::vector<int32_t>{1060}));
}

TEST(TokenizeCli, StdinJsonLinesReproduceTheHfCases) {
  const nlohmann::json cases = read_json_file(kRoot + "/tests/fixtures/tokenizers/gpt2/cases.json");
  std::string input;
  for (const auto& c : cases)
    input += nlohmann::json{{"text", c["text"]}}.dump() + "\n\n";  // blank lines skipped
  const Output out = run_tokenize("--model " + quoted(kGpt2), input);
  ASSERT_EQ(out.status, 0) << out.err;
  const auto lines = lines_of(out.out);
  ASSERT_EQ(lines.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i]["text"].get<std::string>());
    EXPECT_EQ(lines[i]["ids"], cases[i]["ids"]);
    EXPECT_EQ(lines[i]["tokens"], cases[i]["tokens"]);
    EXPECT_EQ(lines[i]["offsets"], cases[i]["offsets"]);
  }
}

TEST(TokenizeCli, ModelFolderAndAnyCharacterThroughStdin) {
  const std::string model = kRoot + "/models/brown-gpt";
  const std::vector<std::string> texts = {"line\nbreak \"quoted\" \\ tab\t",
                                          "emoji \U0001F600 and <|endoftext|>", ""};
  std::string input;
  for (const auto& text : texts) input += nlohmann::json{{"text", text}}.dump() + "\n";
  const Output out = run_tokenize("--model " + quoted(model), input);
  ASSERT_EQ(out.status, 0) << out.err;
  const auto lines = lines_of(out.out);
  ASSERT_EQ(lines.size(), texts.size());
  const Tokenizer tokenizer = Tokenizer::load(model);
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(lines[i], expected_json(tokenizer.encode(texts[i])));
}

TEST(TokenizeCli, MalformedStdinLineIsNamed) {
  const Output out = run_tokenize("--model " + quoted(kGpt2), "{\"text\": \"fine\"}\n{\"text\": oops}\n");
  EXPECT_EQ(out.status, 1);
  EXPECT_EQ(lines_of(out.out).size(), 1u);  // the good line before it was printed
  EXPECT_NE(out.err.find("attnviz: error: stdin line 2"), std::string::npos) << out.err;
  EXPECT_EQ(out.err.find('\n'), out.err.size() - 1) << out.err;
  const Output not_text = run_tokenize("--model " + quoted(kGpt2), "{\"txt\": \"x\"}\n");
  EXPECT_EQ(not_text.status, 1);
  EXPECT_NE(not_text.err.find("stdin line 1: expected an object {\"text\": \"...\"}"), std::string::npos)
      << not_text.err;
}

TEST(TokenizeCli, BadModelPathFailsWithOneLine) {
  const Output out = run_tokenize("--model /nonexistent/model 'x'");
  EXPECT_NE(out.status, 0);
  EXPECT_EQ(out.out, "");
  EXPECT_NE(out.err.find("attnviz: error: cannot load tokenizer from /nonexistent/model"), std::string::npos)
      << out.err;
  EXPECT_EQ(out.err.find('\n'), out.err.size() - 1) << out.err;
  const Output missing = run_tokenize("'x'");
  EXPECT_NE(missing.status, 0);
}

}  // namespace
}  // namespace attnviz
