// The heads map: each type detector on constructed q and k whose attention is a known pattern, the
// similarity of heads (a head given twice is at distance 0), and layouts/heads.json.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "core/fs.hpp"
#include "core/json.hpp"
#include "layout/head_similarity.hpp"
#include "layout/heads_file.hpp"
#include "layout/heads_map.hpp"
#include "layout/layout_job.hpp"
#include "run/induction.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

using test::TempDir;

constexpr int kTokens = 48, kSequences = 3, kIds = kTokens / 2, kDim = kTokens + kIds;
constexpr float kSharp = 40;  // a logit this far above the others takes all the weight

// What a constructed head does.
enum class Pattern { Previous, Next, FirstToken, LastToken, Uniform, TwoBack, Duplicate };

// A run of kSequences inputs of kTokens tokens, one layer, one head per pattern, q and k one-hot codes of
// position (dimensions [0, kTokens)) and token id ([kTokens, kDim)). Each input's ids are two shuffles of
// [0, kIds): every token occurs exactly twice. In bidirectional runs the first and last tokens are special.
test::TinyRun pattern_run(const std::vector<Pattern>& patterns, bool causal) {
  const int heads = static_cast<int>(patterns.size());
  std::vector<std::vector<std::string>> text(kSequences, std::vector<std::string>(kTokens, "w"));
  test::TinyRun run = test::TinyRun::text({"gpt2", "text", 1, heads, heads, kDim, causal, 1.0f}, text);
  std::mt19937 rng(3);
  for (int s = 0; s < kSequences; ++s) {
    std::vector<int32_t> ids(kIds);
    std::iota(ids.begin(), ids.end(), 0);
    for (int copy = 0; copy < 2; ++copy) {
      std::shuffle(ids.begin(), ids.end(), rng);
      std::copy(ids.begin(), ids.end(), run.contents.tokens.token_id.begin() + s * kTokens + copy * kIds);
    }
    if (!causal)
      run.contents.tokens.special[s * kTokens] = run.contents.tokens.special[s * kTokens + kTokens - 1] = 1;
  }
  for (int h = 0; h < heads; ++h)
    for (int64_t t = 0; t < run.tokens(); ++t) {
      const int pos = static_cast<int>(t % kTokens), id = run.contents.tokens.token_id[t];
      float* q = run.q[0].data() + run.offset(h, t);
      float* k = run.k[0].data() + run.offset(h, t);
      k[pos] = 1;
      k[kTokens + id] = 1;
      switch (patterns[h]) {
        case Pattern::Previous:
          if (pos >= 1) q[pos - 1] = kSharp;
          break;
        case Pattern::Next:
          if (pos + 1 < kTokens) q[pos + 1] = kSharp;
          break;
        case Pattern::FirstToken:
          q[0] = kSharp;
          break;
        case Pattern::LastToken:
          q[kTokens - 1] = kSharp;
          break;
        case Pattern::Uniform:
          break;
        case Pattern::TwoBack:
          if (pos >= 2) q[pos - 2] = kSharp;
          break;
        case Pattern::Duplicate:  // the same id, not the same position: only the other occurrence
          q[kTokens + id] = kSharp;
          q[pos] = -kSharp;
          break;
      }
    }
  return run;
}

// The head scores `own` near 1 and every other applicable type near 0.
void expect_only(const HeadSummary& h, HeadType own) {
  for (int t = 0; t < kHeadTypes; ++t) {
    if (!h.scores[t]) continue;
    if (static_cast<HeadType>(t) == own)
      EXPECT_GT(*h.scores[t], 0.97) << "head " << h.head << " " << kHeadTypeNames[t];
    else
      EXPECT_LT(*h.scores[t], 0.12) << "head " << h.head << " " << kHeadTypeNames[t];
  }
  ASSERT_TRUE(h.type.has_value()) << "head " << h.head;
  EXPECT_EQ(*h.type, own) << "head " << h.head;
}

TEST(HeadTypes, EachCausalPatternScoresItsOwnTypeNearOneAndTheOthersNearZero) {
  TempDir temp;
  pattern_run({Pattern::Previous, Pattern::FirstToken, Pattern::Uniform, Pattern::TwoBack}, true)
      .write(temp / "run");
  const HeadsMap map = compute_heads_map(*Run::open(temp / "run"), 42, 2);
  ASSERT_EQ(map.heads.size(), 4u);
  expect_only(map.heads[0], HeadType::PreviousToken);
  expect_only(map.heads[1], HeadType::FirstToken);
  expect_only(map.heads[2], HeadType::Broad);
  expect_only(map.heads[3], HeadType::Positional);
  for (const HeadSummary& h : map.heads) {
    EXPECT_FALSE(h.scores[static_cast<int>(HeadType::NextToken)]) << "a causal model has no next-token score";
    EXPECT_FALSE(h.scores[static_cast<int>(HeadType::Induction)]) << "this run did not measure induction";
  }
  EXPECT_NEAR(map.heads[3].offsets[kMaxOffset - 2], 1.0, 1e-3);  // the mass sits at offset -2
}

TEST(HeadTypes, EachBidirectionalPatternScoresItsOwnTypeNearOneAndTheOthersNearZero) {
  TempDir temp;
  pattern_run({Pattern::Next, Pattern::LastToken, Pattern::Duplicate}, false).write(temp / "run");
  const HeadsMap map = compute_heads_map(*Run::open(temp / "run"), 42, 2);
  expect_only(map.heads[0], HeadType::NextToken);
  expect_only(map.heads[1], HeadType::SpecialTokens);
  expect_only(map.heads[2], HeadType::SameToken);
}

// Induction is measured apart from the other types (by extract, on random token sequences repeated twice:
// run/induction.hpp), so its detector is checked against the others on one such sequence, [BOS] copy copy,
// with causal attention built row by row: each other pattern scores induction near 0, and the induction
// pattern scores every other type near 0 but the first-token sink, where its rows with nothing to copy yet
// (the first copy) put their weight, as trained induction heads do: half the rows, so first_token is 0.5.
TEST(HeadTypes, InductionAgainstTheOtherPatternsOnARepeatedSequence) {
  constexpr int kLength = 20, kStart = 1, kT = kStart + 2 * kLength;
  std::vector<int32_t> ids(kT);
  for (int i = 0; i < kLength; ++i) ids[kStart + i] = ids[kStart + kLength + i] = 100 + (i * 7) % kLength;
  ids[0] = 1;
  const std::vector<uint8_t> special(kT, 0);
  const auto in_second = [&](int i) { return i >= kStart + kLength; };
  // One head's [T, T] attention: row i one-hot on target(i), or uniform over j <= i when target is -1.
  const auto attention = [&](auto target) {
    std::vector<float> a(size_t{kT} * kT, 0.0f);
    for (int i = 0; i < kT; ++i) {
      const int j = target(i);
      if (j >= 0) a[size_t(i) * kT + j] = 1;
      for (int k = 0; j < 0 && k <= i; ++k) a[size_t(i) * kT + k] = 1.0f / float(i + 1);
    }
    return a;
  };
  const std::vector<std::pair<std::string, std::vector<float>>> others = {
      {"previous", attention([](int i) { return std::max(0, i - 1); })},
      {"two back", attention([](int i) { return std::max(0, i - 2); })},
      {"first token", attention([](int) { return 0; })},
      {"uniform", attention([](int) { return -1; })},
      {"duplicate", attention([&](int i) { return in_second(i) ? i - kLength : 0; })},
  };
  for (const auto& [name, a] : others)
    EXPECT_LT(induction_score(a.data(), kT, kStart, kLength), 0.12) << name;

  const auto induction = attention([&](int i) { return in_second(i) ? i - kLength + 1 : 0; });
  EXPECT_DOUBLE_EQ(induction_score(induction.data(), kT, kStart, kLength), 1.0);
  HeadTypeStats stats;
  stats.add_sequence(induction.data(), kT, special.data(), ids.data(), true);
  HeadScores scores = stats.scores();
  for (int t = 0; t < kHeadTypes; ++t) {
    const auto type = static_cast<HeadType>(t);
    if (!scores[t] || type == HeadType::FirstToken) continue;
    EXPECT_LT(*scores[t], 0.12) << kHeadTypeNames[t];
  }
  EXPECT_NEAR(*scores[static_cast<int>(HeadType::FirstToken)], 0.5, 1e-6);
  scores[static_cast<int>(HeadType::Induction)] = induction_score(induction.data(), kT, kStart, kLength);
  EXPECT_EQ(head_type(scores), HeadType::Induction);
}

TEST(HeadFingerprint, HoldsOffsetMassesTheMassBeyondAndTheScoresWithZeroWhereAScoreDoesNotApply) {
  TempDir temp;
  pattern_run({Pattern::Previous, Pattern::FirstToken, Pattern::Uniform}, true).write(temp / "run");
  const HeadsMap map = compute_heads_map(*Run::open(temp / "run"), 42, 2);
  constexpr int kBefore = 2 * kMaxOffset + 1, kAfter = kBefore + 1, kScores = kAfter + 1;
  for (const HeadSummary& h : map.heads) {
    for (int d = 0; d <= 2 * kMaxOffset; ++d) EXPECT_EQ(h.fingerprint[d], h.offsets[d]);
    EXPECT_EQ(h.fingerprint[kAfter], 0.0) << "a causal head sees nothing after its query";
    for (int t = 0; t < kHeadTypes; ++t) EXPECT_EQ(h.fingerprint[kScores + t], h.scores[t].value_or(0.0));
    for (double v : h.fingerprint) EXPECT_TRUE(v >= 0 && v <= 1);
  }
  EXPECT_NEAR(map.heads[0].fingerprint[kMaxOffset - 1], 1.0, 1e-3);  // previous token: all at -1
  EXPECT_NEAR(map.heads[0].fingerprint[kBefore], 0.0, 1e-3);
  // The first-token sink: rows past position 8 put their mass beyond -8; the mean over all rows of the
  // kTokens-position inputs is the share of such rows, (kTokens - 1 - kMaxOffset) / kTokens.
  EXPECT_NEAR(map.heads[1].fingerprint[kBefore], double(kTokens - 1 - kMaxOffset) / kTokens, 1e-3);
  // A uniform causal row spreads its mass: row i puts (i - 8) / (i + 1) beyond -8.
  double beyond = 0;
  for (int i = 0; i < kTokens; ++i) beyond += std::max(0, i - kMaxOffset) / double(i + 1);
  EXPECT_NEAR(map.heads[2].fingerprint[kBefore], beyond / kTokens, 1e-3);
}

TEST(HeadTypes, AHeadBelowEveryThresholdHasNoType) {
  HeadScores scores;
  scores[static_cast<int>(HeadType::PreviousToken)] = 0.4;
  scores[static_cast<int>(HeadType::Broad)] = 0.8;
  EXPECT_FALSE(head_type(scores));
  scores[static_cast<int>(HeadType::Induction)] = 0.45;     // 1.5 times its threshold of 0.3
  scores[static_cast<int>(HeadType::PreviousToken)] = 0.6;  // 1.2 times its threshold of 0.5
  EXPECT_EQ(head_type(scores), HeadType::Induction);
}

TEST(HeadSimilarity, AHeadGivenTwiceIsAtDistanceZeroAndBesideItselfInOrderAndMap) {
  TempDir temp;
  pattern_run({Pattern::Previous, Pattern::Uniform, Pattern::FirstToken, Pattern::Previous, Pattern::TwoBack},
              true)
      .write(temp / "run");
  const HeadsMap map = compute_heads_map(*Run::open(temp / "run"), 42, 2);
  const int n = 5;
  EXPECT_EQ(map.divergence[0 * n + 3], 0.0);
  for (int a = 0; a < n; ++a) {
    EXPECT_EQ(map.divergence[a * n + a], 0.0);
    for (int b = 0; b < n; ++b) {
      EXPECT_EQ(map.divergence[a * n + b], map.divergence[b * n + a]);
      EXPECT_LE(map.divergence[a * n + b], std::log(2.0) + 1e-12);
      if (a != b && !(a == 0 && b == 3) && !(a == 3 && b == 0)) {
        EXPECT_GT(map.divergence[a * n + b], 0.1);
      }
    }
  }
  const auto at = [&](int h) { return std::find(map.order.begin(), map.order.end(), h) - map.order.begin(); };
  EXPECT_EQ(std::abs(at(0) - at(3)), 1) << "the twins are adjacent in the order";
  EXPECT_NEAR(map.heads[0].map[0], map.heads[3].map[0], 1e-9);
  EXPECT_NEAR(map.heads[0].map[1], map.heads[3].map[1], 1e-9);
  EXPECT_GT(std::hypot(map.heads[0].map[0] - map.heads[1].map[0], map.heads[0].map[1] - map.heads[1].map[1]),
            0.1);
}

TEST(HeadSimilarity, JensenShannonIsZeroForEqualAndLnTwoForDisjointDistributions) {
  const float p[] = {0.5f, 0.5f, 0}, q[] = {0, 0, 1}, r[] = {0.25f, 0.25f, 0.5f};
  EXPECT_EQ(js_divergence(p, p, 3), 0.0);
  EXPECT_NEAR(js_divergence(p, q, 3), std::log(2.0), 1e-5);
  EXPECT_NEAR(js_divergence(p, r, 3), js_divergence(r, p, 3), 1e-12);
  // m = (3/8, 3/8, 1/4): KL(p, m) = ln(4/3), KL(r, m) = ln(2/3) / 2 + ln(2) / 2, their mean 3/4 ln(4/3)
  EXPECT_NEAR(js_divergence(p, r, 3), 0.75 * std::log(4.0 / 3), 1e-5);
}

TEST(HeadSimilarity, ClassicalMdsRecoversEuclideanPointsUpToRotation) {
  const std::vector<std::array<double, 2>> points = {{0, 0}, {3, 0}, {0, 4}, {1, 1}, {-2, 1}};
  const int n = static_cast<int>(points.size());
  std::vector<double> d(n * n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      d[a * n + b] = std::hypot(points[a][0] - points[b][0], points[a][1] - points[b][1]);
  const std::vector<double> y = classical_mds(d, n, 2);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      EXPECT_NEAR(std::hypot(y[2 * a] - y[2 * b], y[2 * a + 1] - y[2 * b + 1]), d[a * n + b], 1e-9);
}

TEST(HeadSimilarity, TheOrderKeepsClustersTogether) {
  // Items 0, 2, 4 close together, 1 and 3 close together, the groups far apart.
  const int n = 5;
  std::vector<double> d(n * n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) d[a * n + b] = a == b ? 0 : (a % 2 == b % 2 ? 0.1 + 0.01 * (a + b) : 1.0);
  const std::vector<int> order = similarity_order(d, n);
  ASSERT_EQ(order.size(), 5u);
  std::vector<int> parity;
  for (int i : order) parity.push_back(i % 2);
  EXPECT_TRUE(parity == std::vector<int>({0, 0, 0, 1, 1}) || parity == std::vector<int>({1, 1, 0, 0, 0}));
}

class HeadsFile : public ::testing::Test {
 protected:
  void SetUp() override { pattern_run({Pattern::Previous, Pattern::Uniform}, true).write(temp_ / "run"); }
  LayoutJobOptions options() const {
    LayoutJobOptions o;
    o.run_dir = temp_ / "run";
    o.methods = {LayoutMethod::PCA};
    o.dims = {2};
    o.threads = 2;
    o.show_progress = false;
    return o;
  }
  TempDir temp_;
};

TEST_F(HeadsFile, TheLayoutJobWritesItOnceAndAgainWhenStale) {
  const LayoutJobResult first = run_layout_job(options());
  EXPECT_GT(first.heads_map_seconds, 0);
  const auto run = Run::open(temp_ / "run");
  const nlohmann::json doc = read_heads_file(*run);
  EXPECT_EQ(doc["heads"].size(), 2u);
  EXPECT_EQ(doc["heads"][0]["type"], "previous_token");
  EXPECT_EQ(doc["heads"][1]["type"], "broad");
  EXPECT_TRUE(doc["heads"][0]["scores"]["induction"].is_null());
  EXPECT_EQ(doc["divergence"].size(), 2u);
  EXPECT_EQ(doc["sample"]["sequences"], kSequences);

  EXPECT_EQ(run_layout_job(options()).heads_map_seconds, 0) << "up to date: not recomputed";

  // Re-extracted (another manifest): the file is stale, read_heads_file says so, the next job rewrites it.
  nlohmann::json manifest = read_json_file(temp_ / "run" / "manifest.json");
  manifest["dataset"]["source"] = "other.txt";
  write_file_atomic(temp_ / "run" / "manifest.json", manifest.dump());
  EXPECT_NE(test::error_of([&] { read_heads_file(*Run::open(temp_ / "run")); }).find("stale"),
            std::string::npos);
  EXPECT_GT(run_layout_job(options()).heads_map_seconds, 0);
  EXPECT_TRUE(heads_file_fresh(*Run::open(temp_ / "run")));
}

TEST_F(HeadsFile, AFileWithoutFingerprintsStillReadsButTheNextJobAddsThem) {
  run_layout_job(options());
  const auto run = Run::open(temp_ / "run");
  nlohmann::json doc = read_heads_file(*run);
  ASSERT_EQ(doc["heads"][0]["fingerprint"].size(), size_t(kFingerprintSize));
  for (auto& h : doc["heads"]) h.erase("fingerprint");  // as written before the fingerprint existed
  write_file_atomic(heads_file_path(run->dir()), doc.dump());
  EXPECT_EQ(read_heads_file(*run)["heads"].size(), 2u);
  EXPECT_FALSE(heads_file_fresh(*run));
  EXPECT_GT(run_layout_job(options()).heads_map_seconds, 0);
  EXPECT_TRUE(read_heads_file(*run)["heads"][1].contains("fingerprint"));
}

TEST_F(HeadsFile, AMalformedFileIsRejectedWithItsReason) {
  run_layout_job(options());
  const auto run = Run::open(temp_ / "run");
  const fs::path path = heads_file_path(run->dir());
  const nlohmann::json good = read_json_file(path);
  const auto broken = [&](const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json doc = good;
    change(doc);
    write_file_atomic(path, doc.dump());
    return test::error_of([&] { read_heads_file(*run); });
  };
  EXPECT_NE(broken([](auto& d) { d["divergence"][0][1] = 5; }).find("[0, ln 2]"), std::string::npos);
  EXPECT_NE(broken([](auto& d) { d["order"] = {0, 0}; }).find("every head once"), std::string::npos);
  EXPECT_NE(broken([](auto& d) { d["heads"][1]["scores"]["broad"] = 1.5; }).find("broad"), std::string::npos);
  EXPECT_NE(broken([](auto& d) { d["heads"][1]["layer"] = "x"; }).find("heads.json"), std::string::npos);
  EXPECT_NE(broken([](auto& d) { d["heads"].erase(1); }).find("must list 2"), std::string::npos);
  EXPECT_NE(broken([](auto& d) { d["version"] = 2; }).find("version"), std::string::npos);
  EXPECT_NE(broken([](auto& d) { d["heads"][0]["fingerprint"][3] = -0.5; }).find("fingerprint"),
            std::string::npos);
  EXPECT_NE(broken([](auto& d) { d["heads"][1]["fingerprint"].erase(0); }).find("fingerprint"),
            std::string::npos);
  EXPECT_NE(broken([](auto& d) { d["heads"][1]["fingerprint"] = "x"; }).find("fingerprint"),
            std::string::npos);
  write_file_atomic(path, "{\"heads\": [");
  EXPECT_NE(test::error_of([&] { read_heads_file(*run); }).find("heads.json"), std::string::npos);
}

}  // namespace
}  // namespace attnviz
