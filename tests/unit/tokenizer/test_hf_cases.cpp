// Conformance with Hugging Face tokenizers: every case of tests/fixtures/tokenizers/<name>/cases.json
// (ids, tokens and offsets that HF produced) must be reproduced exactly.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnviz {
namespace {

const std::string kFixtures = std::string(ATTNVIZ_SOURCE_DIR) + "/tests/fixtures/tokenizers/";

void check_cases(const std::string& name) {
  const Tokenizer tokenizer = Tokenizer::load(kFixtures + name + "/tokenizer.json");
  const nlohmann::json cases = read_json_file(kFixtures + name + "/cases.json");
  ASSERT_GT(cases.size(), 10u);
  for (const auto& c : cases) {
    const std::string text = c["text"];
    SCOPED_TRACE(name + ": \"" + text + "\"");
    const Encoding e = tokenizer.encode(text);
    EXPECT_EQ(e.ids, c["ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(e.tokens, c["tokens"].get<std::vector<std::string>>());
    EXPECT_EQ(e.offsets, (c["offsets"].get<std::vector<std::pair<int32_t, int32_t>>>()));
    EXPECT_EQ(e.type_ids.size(), e.ids.size());
    EXPECT_EQ(e.special.size(), e.ids.size());
  }
}

TEST(HfCases, Gpt2) { check_cases("gpt2"); }

TEST(HfCases, BertBaseUncased) { check_cases("bert-base-uncased"); }

}  // namespace
}  // namespace attnviz
