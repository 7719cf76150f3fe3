// Value vectors through the API: /api/attention/...?weight=value-norm and /api/value-norms/{layer}/{head}
// checked against a brute-force computation from the vectors the test wrote; a run without values answers
// 409, an unknown weight 400.
#include <gtest/gtest.h>

#include <cmath>

#include "server_fixture.hpp"

namespace attnviz::test {
namespace {

// The server tests' run, rewritten with seeded value vectors before the server starts.
class Values : public ServerTest {
 protected:
  void SetUp() override {
    std::filesystem::remove_all(run.dir);
    run.tiny.with_values(11, 2.0f).write(run.dir);
    ServerTest::SetUp();
  }

  double value_norm(int layer, int head, int64_t token) const {
    const float* v = run.tiny.value(layer, head / (TestRun::kHeads / TestRun::kKvHeads), token);
    double sum = 0;
    for (int d = 0; d < TestRun::kHeadDim; ++d) sum += double(v[d]) * v[d];
    return std::sqrt(sum);
  }
};

TEST_F(Values, ValueNormsAreTheLengthsOfTheHeadsValueVectors) {
  for (int layer = 0; layer < TestRun::kLayers; ++layer)
    for (int head = 0; head < TestRun::kHeads; ++head) {
      const std::string path = "/api/value-norms/" + std::to_string(layer) + "/" + std::to_string(head);
      auto result = get(path);
      ASSERT_EQ(result->status, 200) << result->body;
      EXPECT_EQ(result->get_header_value("X-Attnviz-Shape"), std::to_string(run.n));
      const auto norms = floats(result);
      ASSERT_EQ(norms.size(), static_cast<size_t>(run.n));
      for (int64_t i = 0; i < run.n; ++i) EXPECT_NEAR(norms[i], value_norm(layer, head, i), 1e-5) << path;
    }
}

TEST_F(Values, ValueNormWeightIsAttentionTimesValueNormRenormalised) {
  auto opened = Run::open(run.dir);
  for (int layer = 0; layer < TestRun::kLayers; ++layer)
    for (int head = 0; head < TestRun::kHeads; ++head)
      for (int s = 0; s < 3; ++s) {
        const std::string path =
            "/api/attention/" + std::to_string(layer) + "/" + std::to_string(head) + "/" + std::to_string(s);
        auto plain = get(path + "?weight=attention");
        ASSERT_EQ(plain->status, 200) << plain->body;
        EXPECT_EQ(floats(plain), opened->attention(layer, head, s));
        auto result = get(path + "?weight=value-norm");
        ASSERT_EQ(result->status, 200) << result->body;
        const int64_t t = static_cast<int64_t>(run.sentences[s].size());
        EXPECT_EQ(result->get_header_value("X-Attnviz-Shape"), std::to_string(t) + "," + std::to_string(t));
        const auto weights = floats(result);
        ASSERT_EQ(weights.size(), static_cast<size_t>(t * t));
        const auto attention = opened->attention(layer, head, s);
        const int64_t first = opened->sequences()[s].first_token;
        for (int64_t i = 0; i < t; ++i) {
          double total = 0;
          for (int64_t j = 0; j < t; ++j) total += attention[i * t + j] * value_norm(layer, head, first + j);
          for (int64_t j = 0; j < t; ++j)
            EXPECT_NEAR(weights[i * t + j], attention[i * t + j] * value_norm(layer, head, first + j) / total,
                        1e-5)
                << path << " at " << i << "," << j;
        }
      }
}

TEST_F(Values, UnknownWeightsAre400) {
  for (const char* weight : {"value", "", "VALUE-NORM", "value-norm%00", "attention,value-norm"})
    EXPECT_NE(expect_error(std::string("/api/attention/0/0/0?weight=") + weight, 400).find("weight"),
              std::string::npos)
        << weight;
  expect_error("/api/value-norms/0", 400);
  expect_error("/api/value-norms/0/x", 400);
  expect_error("/api/value-norms/2/0", 404);
  expect_error("/api/value-norms/0/4", 404);
}

// The server tests' own run has no values.
using NoValues = ServerTest;

TEST_F(NoValues, WithoutValuesValueNormIs409AndPlainAttentionStillWorks) {
  EXPECT_NE(expect_error("/api/attention/0/0/0?weight=value-norm", 409).find("--values"), std::string::npos);
  EXPECT_NE(expect_error("/api/value-norms/0/0", 409).find("--values"), std::string::npos);
  EXPECT_EQ(get("/api/attention/0/0/0?weight=attention")->status, 200);
  expect_error("/api/attention/0/0/0?weight=nonsense", 400);
}

}  // namespace
}  // namespace attnviz::test
