// Every API route of a real server over a real run directory (docs/api.md).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/parallel.hpp"
#include "core/safetensors.hpp"
#include "layout/heads_file.hpp"
#include "layout/layout.hpp"
#include "layout/progress_file.hpp"
#include "run/run.hpp"
#include "server_fixture.hpp"

namespace attnviz::test {
namespace {

using Api = ServerTest;

std::vector<float> expected_layout(const TestRun& run, int layer, int head, float base, int dim) {
  std::vector<float> values(static_cast<size_t>(2 * run.n * dim));
  for (size_t i = 0; i < values.size(); ++i) values[i] = base + layer * 100 + head * 10 + 0.001f * i;
  return values;
}

TEST_F(Api, RunDescribesManifestAndLayoutsAndPicksUpNewFiles) {
  auto body = get_json("/api/run");
  EXPECT_EQ(body["manifest"], read_json_file(run.dir / "manifest.json"));
  ASSERT_EQ(body["layouts"].size(), 6u);
  std::map<std::pair<std::string, int>, nlohmann::json> layouts;
  for (const auto& entry : body["layouts"]) {
    EXPECT_EQ(entry["heads_ready"], 0);
    EXPECT_EQ(entry["heads_total"], TestRun::kLayers * TestRun::kHeads);
    layouts[{entry["method"].get<std::string>(), entry["dim"].get<int>()}] = entry;
  }
  for (const char* method : {"pca", "tsne", "umap"}) {
    EXPECT_TRUE(layouts.count({method, 2}) && layouts.count({method, 3})) << method;
  }
  EXPECT_TRUE(body["metrics"].is_null());
  EXPECT_TRUE(body["progress"].is_null());
  EXPECT_EQ(body["problems"], nlohmann::json::array());

  // Files written after the server started, as attnviz layout and the demo do.
  write_layouts(run, "tsne-3d", 3, {{0, 1}, {1, 2}}, 0.0f);
  write_file_atomic(run.dir / "layouts" / "metrics.json",
                    R"({"heads": [{"layer": 0, "head": 1, "entropy": 0.5}]})");
  write_file_atomic(run.dir / "layouts" / "progress.json", R"({"done": 2, "total": 48})");
  body = get_json("/api/run");
  for (const auto& entry : body["layouts"]) {
    const bool tsne3d = entry["method"] == "tsne" && entry["dim"] == 3;
    EXPECT_EQ(entry["heads_ready"], tsne3d ? 2 : 0) << entry;
  }
  EXPECT_EQ(body["metrics"]["heads"][0]["entropy"], 0.5);
  EXPECT_EQ(body["progress"]["done"], 2);

  write_layouts(run, "tsne-3d", 3, {{0, 1}, {1, 2}, {1, 3}}, 0.0f);
  body = get_json("/api/run");
  for (const auto& entry : body["layouts"]) {
    if (entry["method"] == "tsne" && entry["dim"] == 3) {
      EXPECT_EQ(entry["heads_ready"], 3);
    }
  }
}

TEST_F(Api, TokensAreTheTokenTable) {
  auto body = get_json("/api/tokens");
  EXPECT_EQ(body, read_json_file(run.dir / "tokens.json"));
  EXPECT_EQ(body["token"].size(), static_cast<size_t>(run.n));
  EXPECT_EQ(body["token"][1], " cat");
  EXPECT_TRUE(body.contains("special") && body.contains("char_start") && !body.contains("patch_row"));
}

// A browser accepts Brotli, which cpp-httplib would apply to JSON at seconds a megabyte: JSON goes as is.
TEST_F(Api, JsonRepliesAreNotCompressedForABrowser) {
  for (const char* path : {"/api/tokens", "/api/run", "/api/runs", "/api/search?token=cat"}) {
    auto result = client->Get(path, {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_TRUE(result) << path;
    EXPECT_FALSE(result->has_header("Content-Encoding")) << path;
    EXPECT_EQ(result->get_header_value("Content-Length"), std::to_string(result->body.size())) << path;
    EXPECT_TRUE(nlohmann::json::parse(result->body, nullptr, false).is_object()) << path;
  }
  EXPECT_EQ(nlohmann::json::parse(get("/api/tokens")->body), read_json_file(run.dir / "tokens.json"));
}

TEST_F(Api, AttentionIsSoftmaxOfScaledDotProductsAndEqualsRunAttention) {
  auto opened = Run::open(run.dir);
  const float scale = 1.0f / std::sqrt(float(TestRun::kHeadDim));
  for (int layer = 0; layer < TestRun::kLayers; ++layer) {
    for (int head = 0; head < TestRun::kHeads; ++head) {
      for (int s = 0; s < 3; ++s) {
        const std::string path =
            "/api/attention/" + std::to_string(layer) + "/" + std::to_string(head) + "/" + std::to_string(s);
        auto result = get(path);
        ASSERT_EQ(result->status, 200) << result->body;
        EXPECT_EQ(result->get_header_value("Content-Type"), "application/octet-stream");
        const int64_t t = static_cast<int64_t>(run.sentences[s].size());
        EXPECT_EQ(result->get_header_value("X-Attnviz-Shape"), std::to_string(t) + "," + std::to_string(t));
        auto weights = floats(result);
        ASSERT_EQ(weights.size(), static_cast<size_t>(t * t));
        EXPECT_EQ(weights, opened->attention(layer, head, s)) << path;

        const int64_t first = opened->sequences()[s].first_token;
        const int kv = head / (TestRun::kHeads / TestRun::kKvHeads);
        for (int64_t i = 0; i < t; ++i) {
          std::vector<double> logits(static_cast<size_t>(i + 1));
          for (int64_t j = 0; j <= i; ++j) {
            double dot = 0;
            for (int d = 0; d < TestRun::kHeadDim; ++d) {
              dot += double(run.query(layer, head, first + i)[d]) * run.key(layer, kv, first + j)[d];
            }
            logits[j] = scale * dot;
          }
          const double top = *std::max_element(logits.begin(), logits.end());
          double total = 0;
          for (double& x : logits) total += (x = std::exp(x - top));
          double row_sum = 0;
          for (int64_t j = 0; j < t; ++j) {
            const float w = weights[i * t + j];
            row_sum += w;
            if (j > i) {
              EXPECT_EQ(w, 0.0f) << path << " causal mask at " << i << "," << j;
            } else {
              EXPECT_NEAR(w, logits[j] / total, 1e-5) << path << " at " << i << "," << j;
            }
          }
          EXPECT_NEAR(row_sum, 1.0, 1e-5) << path << " row " << i;
        }
      }
    }
  }
}

TEST_F(Api, NormsAreQueryThenKeyVectorLengths) {
  const int layer = 1, head = 3, kv = head / (TestRun::kHeads / TestRun::kKvHeads);
  auto result = get("/api/norms/1/3");
  ASSERT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("X-Attnviz-Shape"), std::to_string(2 * run.n));
  auto norms = floats(result);
  ASSERT_EQ(norms.size(), static_cast<size_t>(2 * run.n));
  for (int64_t i = 0; i < run.n; ++i) {
    double q = 0, k = 0;
    for (int d = 0; d < TestRun::kHeadDim; ++d) {
      q += double(run.query(layer, head, i)[d]) * run.query(layer, head, i)[d];
      k += double(run.key(layer, kv, i)[d]) * run.key(layer, kv, i)[d];
    }
    EXPECT_NEAR(norms[i], std::sqrt(q), 1e-5);
    EXPECT_NEAR(norms[run.n + i], std::sqrt(k), 1e-5);
  }
}

// What the search route promises, computed directly over tokens.json (the test tokens are ASCII).
std::vector<int64_t> direct_matches(const nlohmann::json& tokens, const std::string& text) {
  auto normal = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto first = s.find_first_not_of(" \t\n\r");
    return first == std::string::npos ? std::string()
                                      : s.substr(first, s.find_last_not_of(" \t\n\r") - first + 1);
  };
  std::vector<int64_t> indices;
  for (size_t i = 0; i < tokens["token"].size(); ++i) {
    if (normal(tokens["token"][i].get<std::string>()) == normal(text))
      indices.push_back(static_cast<int64_t>(i));
  }
  return indices;
}

TEST_F(Api, SearchCountsEqualADirectCountOverTokens) {
  const auto tokens = read_json_file(run.dir / "tokens.json");
  const std::map<std::string, std::string> queries = {
      {"the", "the"}, {"%20The%20%20", " The  "}, {"End", "End"}, {"%2C", ","}, {"zebra", "zebra"}};
  for (const auto& [encoded, text] : queries) {
    auto body = get_json("/api/search?token=" + encoded);
    auto expected = direct_matches(tokens, text);
    EXPECT_EQ(body["token"], text);
    EXPECT_EQ(body["count"], expected.size()) << text;
    EXPECT_EQ(body["indices"].get<std::vector<int64_t>>(), expected) << text;
  }
  EXPECT_EQ(get_json("/api/search?token=the")["count"], 5);
  expect_error("/api/search", 400);
  expect_error("/api/search?token=", 400);
  expect_error("/api/search?token=%20%20", 400);
}

TEST_F(Api, AggregateAveragesAttentionByRelativePosition) {
  auto opened = Run::open(run.dir);
  const int radius = 7;  // the longest test sentence has 8 tokens
  std::map<int, std::pair<double, int>> sums;
  for (int s = 0; s < 3; ++s) {
    auto a = opened->attention(1, 2, s);
    const int t = static_cast<int>(run.sentences[s].size());
    for (int i = 0; i < t; ++i) {
      for (int j = 0; j < t; ++j) {
        sums[j - i].first += a[i * t + j];
        ++sums[j - i].second;
      }
    }
  }
  auto body = get_json("/api/aggregate/1/2");
  ASSERT_EQ(body["offsets"].size(), 2u * radius + 1);
  ASSERT_EQ(body["mean"].size(), 2u * radius + 1);
  for (int o = -radius; o <= radius; ++o) {
    EXPECT_EQ(body["offsets"][o + radius], o);
    EXPECT_NEAR(body["mean"][o + radius].get<double>(), sums[o].first / sums[o].second, 1e-9) << o;
    if (o > 0) {
      EXPECT_EQ(body["mean"][o + radius].get<double>(), 0.0) << "causal: no weight on later keys";
    }
  }
}

TEST_F(Api, LayoutOnDemandEqualsComputeHeadLayout) {
  auto opened = Run::open(run.dir);
  for (int dim : {2, 3}) {
    LayoutRequest request;
    request.method = LayoutMethod::PCA;
    request.dim = dim;
    request.layer = 1;
    request.head = 3;
    request.threads = default_threads();
    const auto expected = compute_head_layout(*opened, request);
    auto result = get("/api/layout/pca/" + std::to_string(dim) + "/1/3");
    ASSERT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(result->get_header_value("X-Attnviz-Shape"),
              std::to_string(2 * run.n) + "," + std::to_string(dim));
    auto values = floats(result);
    ASSERT_EQ(values.size(), expected.size());
    for (size_t i = 0; i < values.size(); ++i) EXPECT_NEAR(values[i], expected[i], 1e-5) << i;
  }
  EXPECT_FALSE(std::filesystem::exists(run.dir / "layouts" / "pca-2d.safetensors"))
      << "on-demand never writes";
}

TEST_F(Api, LayoutsOnDiskAreServedAndPickedUpWhenTheyAppearOrChange) {
  auto before = get("/api/layout/pca/2/0/1");  // computed on demand: nothing on disk yet
  ASSERT_EQ(before->status, 200) << before->body;
  write_layouts(run, "pca-2d", 2, {{0, 1}}, 1000.0f);
  auto after = get("/api/layout/pca/2/0/1");
  ASSERT_EQ(after->status, 200);
  EXPECT_EQ(floats(after), expected_layout(run, 0, 1, 1000.0f, 2));
  write_layouts(run, "pca-2d", 2, {{0, 1}}, 2000.0f);  // replaced by a newer file of the same size
  EXPECT_EQ(floats(get("/api/layout/pca/2/0/1")), expected_layout(run, 0, 1, 2000.0f, 2));
}

TEST_F(Api, ALayoutFileThatDoesNotFitTheRunIsA500NamingItAndRunSaysWhy) {
  write_layouts(run, "pca-2d", 2, {{0, 0}}, 0.0f);
  std::vector<float> other(2 * 5 * 2);  // laid out for a run of 5 tokens
  write_safetensors(run.dir / "layouts" / "pca-2d.safetensors",
                    {{{"l0.h0", DType::F32, {10, 2}}, std::as_bytes(std::span<const float>(other))}});
  const std::string problem = "pca-2d.safetensors: tensor l0.h0 is F32 [10, 2]";
  for (const char* path : {"/api/layout/pca/2/1/1", "/api/layouts/pca/2"}) {
    const std::string message = expect_error(path, 500);
    EXPECT_NE(message.find(problem), std::string::npos) << message;
  }
  // /api/run still answers (the page loads), and says which layout is unavailable and why.
  const nlohmann::json run = get_json("/api/run");  // held: the loop below reads into it
  for (const auto& entry : run["layouts"]) {
    const bool broken = entry["method"] == "pca" && entry["dim"] == 2;
    EXPECT_EQ(entry.contains("problem"), broken) << entry;
    if (broken) {
      EXPECT_NE(entry["problem"].get<std::string>().find(problem), std::string::npos) << entry;
      EXPECT_EQ(entry["heads_ready"], 0);
    }
  }
  EXPECT_EQ(get("/api/layout/tsne/2/1/1")->status, 200) << "other files are not affected";
  EXPECT_EQ(get("/api/layout/pca/3/1/1")->status, 200);
}

TEST_F(Api, ProgressSaysWhetherItsWriterStillRuns) {
  EXPECT_TRUE(get_json("/api/run")["progress"].is_null()) << "no progress.json";
  std::filesystem::create_directories(run.dir / "layouts");
  write_progress_file(run.dir / "layouts" / "progress.json",
                      {{"tsne-2d", {{"done", 3}, {"total", 8}}}});  // this process
  auto progress = get_json("/api/run")["progress"];
  EXPECT_EQ(progress["tsne-2d"]["done"], 3);
  EXPECT_EQ(progress["running"], true) << progress;
  auto doc = read_json_file(run.dir / "layouts" / "progress.json");
  doc["writer"]["heartbeat"] = doc["writer"]["heartbeat"].get<double>() - 2 * kHeartbeatTimeoutSeconds;
  write_file_atomic(run.dir / "layouts" / "progress.json", doc.dump());
  EXPECT_EQ(get_json("/api/run")["progress"]["running"], false) << "a silent writer counts as stopped";
  write_file_atomic(run.dir / "layouts" / "progress.json", R"({"tsne-2d": {"done": 3, "total": 8}})");
  EXPECT_EQ(get_json("/api/run")["progress"]["running"], false) << "written by an attnviz without heartbeats";
}

TEST_F(Api, BulkLayoutsNeedEveryHeadOnDisk) {
  EXPECT_NE(expect_error("/api/layouts/pca/3", 404).find("not ready"), std::string::npos);
  std::vector<std::pair<int, int>> heads;
  for (int layer = 0; layer < TestRun::kLayers; ++layer) {
    for (int head = 0; head < TestRun::kHeads; ++head) heads.emplace_back(layer, head);
  }
  write_layouts(run, "pca-3d", 3, {heads.begin(), heads.end() - 1}, 5.0f);
  EXPECT_NE(expect_error("/api/layouts/pca/3", 404).find("7 of 8"), std::string::npos);
  write_layouts(run, "pca-3d", 3, heads, 5.0f);
  auto result = get("/api/layouts/pca/3");
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(result->get_header_value("X-Attnviz-Shape"), "8," + std::to_string(2 * run.n) + ",3");
  std::vector<float> expected;
  for (auto [layer, head] : heads) {
    auto one = expected_layout(run, layer, head, 5.0f, 3);
    expected.insert(expected.end(), one.begin(), one.end());
  }
  EXPECT_EQ(floats(result), expected);
}

TEST_F(Api, MalformedPathsAre400AndUnknownThingsAre404) {
  for (const char* path :
       {"/api/attention/x/0/0", "/api/attention/0/0", "/api/attention/0/0/0/0", "/api/attention/-1/0/0",
        "/api/attention/0/1.5/0", "/api/attention/0/0/", "/api/norms/0", "/api/layout/pca/two/0/0",
        "/api/layout/pca/2/0", "/api/layouts/pca", "/api/aggregate/a/b",
        "/api/attention/99999999999999999999/0/0"}) {
    expect_error(path, 400);
  }
  EXPECT_NE(expect_error("/api/attention/2/0/0", 404).find("layer 2"), std::string::npos);
  EXPECT_NE(expect_error("/api/attention/0/4/0", 404).find("head 4"), std::string::npos);
  EXPECT_NE(expect_error("/api/attention/0/0/3", 404).find("sequence 3"), std::string::npos);
  for (const char* path :
       {"/api/norms/0/9", "/api/aggregate/5/0", "/api/layout/foo/2/0/0", "/api/layout/pca/4/0/0",
        "/api/layouts/tsne/1", "/api/layout/pca/2/0/4", "/api/nothing", "/api/", "/api/image/0"}) {
    expect_error(path, 404);
  }
}

TEST_F(Api, HeadsServesTheHeadsMapOnceWrittenAndNotWhenStale) {
  EXPECT_NE(expect_error("/api/heads", 404).find("no heads map yet"), std::string::npos);
  const auto opened = Run::open(run.dir);
  const HeadsMap map = compute_heads_map(*opened, 42, 2);
  write_heads_file(*opened, map);
  const nlohmann::json heads = get_json("/api/heads");
  const size_t n = TestRun::kLayers * TestRun::kHeads;
  ASSERT_EQ(heads["heads"].size(), n);
  EXPECT_EQ(heads.size(), 3u) << "heads, order, divergence";
  for (size_t i = 0; i < n; ++i) {
    const nlohmann::json& h = heads["heads"][i];
    EXPECT_EQ(h["layer"], i / TestRun::kHeads);
    EXPECT_EQ(h["head"], i % TestRun::kHeads);
    EXPECT_EQ(h.size(), 6u) << "layer, head, scores, type, map, fingerprint";
    for (std::string_view name : kHeadTypeNames) ASSERT_TRUE(h["scores"].contains(name)) << name;
    EXPECT_TRUE(h["scores"]["next_token"].is_null()) << "a causal run";
    EXPECT_TRUE(h["scores"]["induction"].is_null()) << "a run without induction";
    EXPECT_EQ(h["scores"]["broad"], *map.heads[i].scores[static_cast<int>(HeadType::Broad)]);
    EXPECT_EQ(h["map"][0], map.heads[i].map[0]);
    EXPECT_EQ(h["fingerprint"], nlohmann::json(map.heads[i].fingerprint));
    ASSERT_EQ(heads["divergence"][i].size(), n);
    EXPECT_EQ(heads["divergence"][i][i], 0.0);
  }
  EXPECT_EQ(heads["order"], nlohmann::json(map.order));

  // A file written before the fingerprint is still served, each head's fingerprint null.
  nlohmann::json old = read_json_file(heads_file_path(run.dir));
  for (nlohmann::json& h : old["heads"]) h.erase("fingerprint");
  write_file_atomic(heads_file_path(run.dir), old.dump());
  EXPECT_TRUE(get_json("/api/heads")["heads"][0]["fingerprint"].is_null());

  // Another run's file (here: the manifest changed under the file) is not served.
  nlohmann::json doc = read_json_file(heads_file_path(run.dir));
  doc["run"] = "0000000000000000-0";
  write_file_atomic(heads_file_path(run.dir), doc.dump());
  EXPECT_NE(expect_error("/api/heads", 404).find("stale"), std::string::npos);
}

}  // namespace
}  // namespace attnviz::test
