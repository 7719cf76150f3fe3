// Malformed or unsupported tokenizer files: each gives one clear, one-line error; none crashes.
#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "tokenizer_fixtures.hpp"

namespace attnviz {
namespace {

using test::TempDir;

// A small valid byte-level BPE tokenizer.json; the cases below break one part of it.
const std::string kValid =
    R"({"version":"1.0","added_tokens":[{"id":3,"content":"<s>","special":true,"normalized":false}],)"
    R"("normalizer":null,"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false},)"
    R"("post_processor":null,"decoder":null,)"
    R"("model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"<s>":3},"merges":["a b"]}})";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

std::string load_error(const TempDir& dir, const std::string& contents) {
  try {
    Tokenizer::load(dir.write("tokenizer.json", contents));
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(Malformed, ValidBaseLoads) {
  TempDir dir;
  const Tokenizer t = Tokenizer::load(dir.write("tokenizer.json", kValid));
  EXPECT_EQ(t.encode("ab<s>ba").tokens, (std::vector<std::string>{"ab", "<s>", "b", "a"}));
}

struct BadCase {
  std::string name, contents, expected;
};

TEST(Malformed, EachGivesItsOwnOneLineError) {
  const std::vector<BadCase> cases = {
      {"empty file", "", "invalid JSON"},
      {"not JSON", "{model:", "invalid JSON"},
      {"truncated", kValid.substr(0, kValid.size() / 2), "invalid JSON"},
      {"not an object", "[1, 2]", "must hold a JSON object"},
      {"no model", R"({"version":"1.0"})", "no \"model\""},
      {"duplicate key", replaced(kValid, R"("b":1,)", R"("b":1,"b":1,)"), "duplicate key \"b\""},
      {"unknown model", replaced(kValid, R"("type":"BPE")", R"("type":"Unigram")"),
       "unsupported model type \"Unigram\""},
      {"unknown normalizer",
       replaced(kValid, R"("normalizer":null)", R"("normalizer":{"type":"Precompiled"})"),
       "unsupported normalizer type \"Precompiled\""},
      {"unknown pre-tokenizer",
       replaced(kValid, R"("type":"ByteLevel","add_prefix_space":false)", R"("type":"Split")"),
       "unsupported pre_tokenizer type \"Split\""},
      {"unknown post-processor",
       replaced(kValid, R"("post_processor":null)", R"("post_processor":{"type":"Fancy"})"),
       "unsupported post_processor type \"Fancy\""},
      {"component without type", replaced(kValid, R"("normalizer":null)", R"("normalizer":{})"),
       "missing \"type\""},
      {"vocab not an object", replaced(kValid, R"("vocab":{"a":0,"b":1,"ab":2,"<s>":3})", R"("vocab":[1])"),
       "\"vocab\" must be an object"},
      {"id not an integer", replaced(kValid, R"("a":0)", R"("a":"zero")"),
       "token \"a\": token id must be an integer"},
      {"negative id", replaced(kValid, R"("a":0)", R"("a":-1)"), "out of range"},
      {"huge id", replaced(kValid, R"("a":0)", R"("a":99999999999)"), "out of range"},
      {"merge of unknown token", replaced(kValid, R"(["a b"])", R"(["a c"])"), "not in the vocabulary"},
      {"merge with three parts", replaced(kValid, R"(["a b"])", R"(["a b c"])"),
       "two tokens separated by one space"},
      {"merges not an array", replaced(kValid, R"(["a b"])", R"("a b")"), "\"merges\" must be an array"},
      {"added token without content", replaced(kValid, R"("content":"<s>",)", ""),
       "added_tokens[0]: missing \"content\""},
      {"added token flag not a bool", replaced(kValid, R"("special":true)", R"("special":1)"),
       "\"special\" must be true or false"},
      {"template without special token",
       replaced(
           kValid, R"("post_processor":null)",
           R"("post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"[CLS]","type_id":0}}],"pair":[],"special_tokens":{}})"),
       "special token \"[CLS]\" is not defined"},
      {"bert processing malformed",
       replaced(kValid, R"("post_processor":null)",
                R"("post_processor":{"type":"BertProcessing","cls":["[CLS]"],"sep":["[SEP]",1]})"),
       "\"cls\" must be [token, id]"},
  };
  TempDir dir;
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string message = load_error(dir, c.contents);
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
    EXPECT_NE(message.find("tokenizer.json"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(Malformed, DeeplyNestedSequencesAreRefused) {
  // 20 Sequences are 60 JSON levels, which the JSON reader takes and the tokenizer refuses; 200 are 600,
  // beyond what the JSON reader takes at all.
  for (const auto& [sequences, expected] :
       {std::pair{20, "nested too deeply"}, std::pair{200, "nested deeper than 256 arrays and objects"}}) {
    std::string normalizer = R"({"type":"Lowercase"})";
    for (int i = 0; i < sequences; ++i)
      normalizer = R"({"type":"Sequence","normalizers":[)" + normalizer + "]}";
    TempDir dir;
    const std::string message =
        load_error(dir, replaced(kValid, R"("normalizer":null)", R"("normalizer":)" + normalizer));
    EXPECT_NE(message.find(expected), std::string::npos) << sequences << ": " << message;
  }
}

TEST(Malformed, MissingPathsAndEmptyFolders) {
  TempDir dir;
  EXPECT_THROW(Tokenizer::load(dir.path() / "nope"), Error);
  try {
    Tokenizer::load(dir.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected tokenizer.json, vocab.json + merges.txt, or vocab.txt"),
              std::string::npos);
  }
}

// Every prefix of the file, and random byte corruptions of it: an Error or a working tokenizer, no crash.
TEST(Malformed, TruncationsAndCorruptionsNeverCrash) {
  TempDir dir;
  const auto path = dir.path() / "tokenizer.json";
  auto try_load = [&](const std::string& contents) {
    dir.write("tokenizer.json", contents);
    try {
      const Tokenizer t = Tokenizer::load(path);
      t.encode("ab <s> ba\xff");
    } catch (const Error&) {
    }
  };
  for (size_t n = 0; n < kValid.size(); ++n) try_load(kValid.substr(0, n));
  std::mt19937 rng(1234);
  for (int round = 0; round < 300; ++round) {
    std::string contents = kValid;
    for (int k = 0; k < 3; ++k) contents[rng() % contents.size()] = static_cast<char>(rng() % 256);
    try_load(contents);
  }
}

}  // namespace
}  // namespace attnviz
