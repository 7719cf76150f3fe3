// Folders without tokenizer.json: vocab.json + merges.txt (GPT-2 defaults) and vocab.txt (BERT defaults).
// Made from the real GPT-2 / bert-base-uncased vocabularies, they must tokenize like tokenizer.json does.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/json.hpp"
#include "tokenizer_fixtures.hpp"

namespace attnviz {
namespace {

using test::TempDir;
using Tokens = std::vector<std::string>;

std::vector<std::string> case_texts(const std::string& name) {
  std::vector<std::string> texts;
  for (const auto& c : read_json_file(test::kTokenizerFixtures + name + "/cases.json"))
    texts.push_back(c["text"]);
  texts.push_back("Hello<|endoftext|> [CLS] world [MASK]");
  return texts;
}

void expect_same_encodings(const Tokenizer& a, const Tokenizer& b, const std::vector<std::string>& texts) {
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    const Encoding x = a.encode(text), y = b.encode(text);
    EXPECT_EQ(x.ids, y.ids);
    EXPECT_EQ(x.tokens, y.tokens);
    EXPECT_EQ(x.offsets, y.offsets);
    EXPECT_EQ(x.type_ids, y.type_ids);
  }
}

TEST(Fallbacks, VocabJsonAndMergesTxtActLikeGpt2) {
  const nlohmann::json spec = read_json_file(test::kTokenizerFixtures + "gpt2/tokenizer.json");
  TempDir dir;
  dir.write("vocab.json", spec["model"]["vocab"].dump());
  std::string merges = "#version: 0.2\n";
  for (const auto& merge : spec["model"]["merges"]) {
    merges += merge.is_string() ? merge.get<std::string>()
                                : merge[0].get<std::string>() + " " + merge[1].get<std::string>();
    merges += "\n";
  }
  dir.write("merges.txt", merges);
  const Tokenizer fallback = Tokenizer::load(dir.path());
  EXPECT_EQ(fallback.kind(), "bpe");
  EXPECT_EQ(fallback.vocab_size(), 50257u);
  EXPECT_EQ(fallback.display("Ġworld"), " world");
  expect_same_encodings(test::gpt2(), fallback, case_texts("gpt2"));
}

TEST(Fallbacks, SmallVocabJsonAndMerges) {
  TempDir dir;
  dir.write("vocab.json",
            R"({"h":0,"e":1,"l":2,"o":3,"Ġ":4,"w":5,"r":6,"d":7,"he":8,"ll":9,"hell":10,"hello":11,"Ġw":12,)"
            R"("<|endoftext|>":13})");
  dir.write("merges.txt", "#version: 0.2\nh e\nl l\nhe ll\nhell o\nĠ w\n");
  const Tokenizer t = Tokenizer::load(dir.path());
  const Encoding e = t.encode("hello world<|endoftext|>z");
  // 'z' is in no vocabulary and there is no unk token: dropped, as HF's BPE does.
  EXPECT_EQ(e.tokens, (Tokens{"hello", "Ġw", "o", "r", "l", "d", "<|endoftext|>"}));
  EXPECT_EQ(e.offsets, (test::Offsets{{0, 5}, {5, 7}, {7, 8}, {8, 9}, {9, 10}, {10, 11}, {11, 24}}));
}

TEST(Fallbacks, BadMergesLineIsNamed) {
  TempDir dir;
  dir.write("vocab.json", R"({"a":0,"b":1,"ab":2})");
  dir.write("merges.txt", "#version: 0.2\na b\nab\n");
  try {
    Tokenizer::load(dir.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("merges.txt line 3"), std::string::npos) << e.what();
  }
}

std::string bert_vocab_txt() {
  const nlohmann::json spec = read_json_file(test::kTokenizerFixtures + "bert-base-uncased/tokenizer.json");
  std::vector<std::string> by_id(spec["model"]["vocab"].size());
  for (const auto& [token, id] : spec["model"]["vocab"].items()) by_id.at(id.get<size_t>()) = token;
  std::string text;
  for (const auto& token : by_id) text += token + "\n";
  return text;
}

TEST(Fallbacks, VocabTxtActsLikeBertUncased) {
  TempDir dir;
  dir.write("vocab.txt", bert_vocab_txt());
  const Tokenizer fallback = Tokenizer::load(dir.path());
  EXPECT_EQ(fallback.kind(), "wordpiece");
  EXPECT_EQ(fallback.vocab_size(), 30522u);
  expect_same_encodings(test::bert(), fallback, case_texts("bert-base-uncased"));
  const Encoding pair = fallback.encode_pair("a b", "c");
  EXPECT_EQ(pair.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 1, 1}));
}

TEST(Fallbacks, OlderFilesCanBeNamedDirectly) {
  TempDir dir;
  dir.write("vocab.txt", "[UNK]\n[CLS]\n[SEP]\nhello\n##s\n");
  const Tokenizer t = Tokenizer::load(dir.path() / "vocab.txt");
  EXPECT_EQ(t.encode("Hellos").ids, (std::vector<int32_t>{1, 3, 4, 2}));
  EXPECT_EQ(t.encode("Hellos", false).offsets, (test::Offsets{{0, 5}, {5, 6}}));
}

TEST(Fallbacks, VocabTxtHonoursDoLowerCase) {
  TempDir dir;
  dir.write("vocab.txt", bert_vocab_txt());
  dir.write("tokenizer_config.json", R"({"do_lower_case": false})");
  const Tokenizer cased = Tokenizer::load(dir.path());
  // Not lowercased, so "Hello" is not in the uncased vocabulary; accents are kept too.
  EXPECT_EQ(cased.encode("Hello hello").tokens, (Tokens{"[CLS]", "[UNK]", "hello", "[SEP]"}));
  EXPECT_NE(cased.encode("café").tokens[1], "cafe");
  EXPECT_EQ(test::bert().encode("café").tokens[1], "cafe");
}

}  // namespace
}  // namespace attnviz
