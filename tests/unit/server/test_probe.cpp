// POST /api/probe and the routes over a probe (docs/api.md, "Probes"), against a real server over a real
// brown-gpt run: a sentence of the dataset probed again gives its tokens, its attention and, in PCA, its
// points back; every bad input is one line with its status.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cmath>
#include <cstring>
#include <latch>
#include <thread>

#include "core/fs.hpp"
#include "core/json.hpp"
#include "layout/layout_file.hpp"
#include "model/config.hpp"
#include "run/encode.hpp"
#include "run/run.hpp"
#include "server/probe_layouts.hpp"
#include "server/probes.hpp"
#include "server/server.hpp"
#include "server/stored_layouts.hpp"
#include "server_fixture.hpp"
#include "support/process.hpp"

namespace attnviz::test {
namespace {

const std::filesystem::path kSource = ATTNVIZ_SOURCE_DIR;

// One brown-gpt run of 4 sentences, laid out for heads 0:0 and 2:1 in PCA and t-SNE 2D and UMAP 2D, shared
// by the tests (extracting and laying out once keeps the suite short: ~5 s).
class BrownRun {
 public:
  static BrownRun& get() {
    static BrownRun run;
    return run;
  }
  std::filesystem::path dir() const { return temp_ / "run"; }

 private:
  BrownRun() {
    const ProcessOutput extracted = extract_brown_gpt(temp_.path(), 4);
    EXPECT_EQ(extracted.status, 0) << extracted.text;
    const ProcessOutput laid = run_attnviz("layout " + shell_quoted(dir()) +
                                           " --methods pca,tsne,umap --dims 2 --heads 0:0,2:1 --threads 2");
    EXPECT_EQ(laid.status, 0) << laid.text;
  }
  TempDir temp_;
};

class ProbeApi : public ::testing::Test {
 protected:
  void start(const std::filesystem::path& run_dir, const std::string& model = "") {
    ServerOptions options;
    options.run_dir = run_dir;
    options.web_dir = web_.path();
    options.port = 0;
    options.model = model;
    server_ = std::make_unique<Server>(options);
    port_ = server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_url_encode(false);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  httplib::Result post(const std::string& body) {
    auto result = client_->Post("/api/probe", body, "application/json");
    EXPECT_TRUE(result);
    return result;
  }
  httplib::Result get(const std::string& path) {
    auto result = client_->Get(path.c_str());
    EXPECT_TRUE(result);
    return result;
  }
  // A one-line {"error"} with this status; returns the message.
  static std::string error_of(const httplib::Result& result, int status) {
    EXPECT_EQ(result->status, status) << result->body;
    const auto body = nlohmann::json::parse(result->body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error")) << result->body;
    const std::string message = body.value("error", "");
    EXPECT_EQ(message.find('\n'), std::string::npos);
    return message;
  }
  nlohmann::json get_json_field(const std::string& path, const std::string& field) {
    const auto result = get(path);
    EXPECT_EQ(result->status, 200) << result->body;
    return nlohmann::json::parse(result->body)[field];
  }
  static std::vector<float> floats(const httplib::Result& result) {
    std::vector<float> values(result->body.size() / sizeof(float));
    std::memcpy(values.data(), result->body.data(), values.size() * sizeof(float));
    return values;
  }

  TempDir web_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

TEST_F(ProbeApi, ExtractRecordsTheModelsSourceAndFingerprint) {
  const auto run = Run::open(BrownRun::get().dir());
  EXPECT_EQ(run->model().source, (kSource / "models" / "brown-gpt").lexically_normal().string());
  EXPECT_EQ(run->model().fingerprint.rfind("fnv1a64:", 0), 0u) << run->model().fingerprint;
}

TEST_F(ProbeApi, ADatasetSentenceGivesItsTokensAttentionAndPointsBack) {
  const auto run = Run::open(BrownRun::get().dir());
  start(run->dir());
  EXPECT_TRUE(get_json_field("/api/run", "probe")["available"].get<bool>());
  const RunSequence& s = run->sequences()[1];
  auto created = post(nlohmann::json{{"text", s.text}}.dump());
  ASSERT_EQ(created->status, 200) << created->body;
  const auto probe = nlohmann::json::parse(created->body);
  const int64_t t = probe["token_count"].get<int64_t>();
  ASSERT_EQ(t, s.token_count);
  EXPECT_FALSE(probe["truncated"].get<bool>());
  for (int64_t i = 0; i < t; ++i) {
    EXPECT_EQ(probe["tokens"][i], run->tokens().token[s.first_token + i]);
    EXPECT_EQ(probe["positions"][i], i);
    EXPECT_EQ(probe["special"][i], int(run->tokens().special[s.first_token + i]));
  }
  const std::string id = probe["id"];

  const auto attention = get("/api/probe/" + id + "/attention/2/1");
  ASSERT_EQ(attention->status, 200);
  EXPECT_EQ(attention->get_header_value("X-Attnviz-Shape"), std::to_string(t) + "," + std::to_string(t));
  const std::vector<float> a = floats(attention), expected = run->attention(2, 1, 1);
  ASSERT_EQ(a.size(), expected.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], expected[i], 2e-3) << i;  // q, k stored as f16

  // PCA: each of the sentence's queries and keys lands on its stored point (the probe's q and k are rounded
  // to the run's F16 as extraction stored them): within 1e-4 of the extent, issue 13's bound.
  const LayoutFile pca = LayoutFile::read(*run, layout_file_path(run->dir(), LayoutMethod::PCA, 2), 2);
  const std::vector<float> stored = pca.head(0, 0).points;
  float lo = INFINITY, hi = -INFINITY;
  for (float v : stored) lo = std::min(lo, v), hi = std::max(hi, v);
  const auto placed = get("/api/probe/" + id + "/layout/pca/2/0/0");
  ASSERT_EQ(placed->status, 200) << placed->body;
  EXPECT_EQ(placed->get_header_value("X-Attnviz-Shape"), std::to_string(2 * t) + ",2");
  const std::vector<float> y = floats(placed);
  const int64_t n = run->num_tokens();
  for (int64_t i = 0; i < t; ++i)
    for (int side = 0; side < 2; ++side)
      for (int c = 0; c < 2; ++c)
        EXPECT_NEAR(y[(side * t + i) * 2 + c], stored[(side * n + s.first_token + i) * 2 + c],
                    1e-4 * (hi - lo));

  for (const char* method : {"tsne", "umap"}) {
    const auto r = get("/api/probe/" + id + "/layout/" + method + "/2/2/1");
    ASSERT_EQ(r->status, 200) << method << ": " << r->body;
    EXPECT_EQ(floats(r).size(), size_t(2 * t * 2));
  }
  EXPECT_NE(error_of(get("/api/probe/" + id + "/layout/tsne/2/1/1"), 409).find("attnviz layout"),
            std::string::npos);
  EXPECT_NE(error_of(get("/api/probe/" + id + "/layout/pca/2"), 409).find("attnviz layout"),
            std::string::npos);
}

TEST_F(ProbeApi, BadInputIsOneLineWithItsStatus) {
  start(BrownRun::get().dir());
  EXPECT_FALSE(error_of(post(R"({"text": ""})"), 400).empty());
  EXPECT_FALSE(error_of(post(R"({"text": )"), 400).empty());
  EXPECT_FALSE(error_of(post(R"(["text"])"), 400).empty());
  EXPECT_FALSE(error_of(post(R"({"text": 3})"), 400).empty());
  EXPECT_FALSE(error_of(post(R"({"other": "x"})"), 400).empty());
  EXPECT_FALSE(error_of(post(R"({"input_ids": [1, 99999999]})"), 400).empty());
  EXPECT_FALSE(error_of(post(R"({"input_ids": []})"), 400).empty());
  // Not ids at all: a number too big for any integer type (found by fuzz_probe), negative, fractional, or
  // beyond int32 (which would wrap around to a valid id).
  for (const char* ids : {"[464, 1111111111111111111111111111111111111111111111]", "[-1]", "[1.5]",
                          "[4294967297]", "\"464\"", "[[464]]"})
    EXPECT_NE(error_of(post(std::string(R"({"input_ids": )") + ids + "}"), 400).find("input_ids"),
              std::string::npos)
        << ids;
  EXPECT_FALSE(error_of(post(R"({"image": "iVBORw0KGgo="})"), 400).empty()) << "an image on a text run";
  EXPECT_FALSE(error_of(post(R"({"text": "a", "text_pair": "b"})"), 400).empty()) << "GPT-2 has no pairs";
  EXPECT_EQ(post(std::string((1 << 20) + 10, ' '))->status, 413);
  EXPECT_FALSE(error_of(get("/api/probe/0123456789abcdef/attention/0/0"), 404).empty());
  EXPECT_FALSE(error_of(get("/api/probe/x/y"), 400).empty());
  const std::string id = nlohmann::json::parse(post(R"({"text": "The jury said"})")->body)["id"];
  EXPECT_FALSE(error_of(get("/api/probe/" + id + "/attention/9/0"), 404).empty());
  EXPECT_FALSE(error_of(get("/api/probe/" + id + "/layout/mds/2/0/0"), 404).empty());
  EXPECT_FALSE(error_of(get("/api/probe/" + id + "/layout/pca/4/0/0"), 404).empty());
  EXPECT_EQ(get("/api/run")->status, 200) << "the server still answers";
}

TEST_F(ProbeApi, ALongInputIsCutToThePositionsAndSaysSo) {
  start(BrownRun::get().dir());
  std::string text;
  for (int i = 0; i < 400; ++i) text += "the jury said ";
  const auto r = post(nlohmann::json{{"text", text}}.dump());
  ASSERT_EQ(r->status, 200) << r->body;
  const auto probe = nlohmann::json::parse(r->body);
  EXPECT_TRUE(probe["truncated"].get<bool>());
  const auto config = read_json_file(kSource / "models" / "brown-gpt" / "config.json");
  EXPECT_EQ(probe["token_count"], config["n_positions"]);
}

// A model with many positions (131k for Llama 3) must not let one probe ask for a 131k × 131k attention: the
// server cuts at kMaxProbeTokens; here the same rule with a bound below brown-gpt's positions.
TEST(EncodeProbe, ATextIsCutAtMaxTokensAndSaysSo) {
  const std::filesystem::path model = kSource / "models" / "brown-gpt";
  const ModelConfig config = load_config(model);
  const std::optional<Tokenizer> tokenizer = load_tokenizer_if_any(model);
  ASSERT_TRUE(tokenizer);
  InputItem item;
  item.text = "the jury said that the city had no problem with the election";
  const EncodedDataset whole = encode_probe(item, config, &*tokenizer, server::kMaxProbeTokens);
  ASSERT_GT(whole.tokens.size(), 5u);
  EXPECT_TRUE(whole.truncated.empty());
  const EncodedDataset cut = encode_probe(item, config, &*tokenizer, 5);
  EXPECT_EQ(cut.tokens.size(), 5u);
  EXPECT_FALSE(cut.truncated.empty());
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(cut.tokens.token[i], whole.tokens.token[i]);
}

TEST_F(ProbeApi, ARunWithoutItsModelServesWithoutProbing) {
  TestRun tiny;  // written by RunWriter without a model source
  start(tiny.dir);
  EXPECT_FALSE(get_json_field("/api/run", "probe")["available"].get<bool>());
  EXPECT_NE(error_of(post(R"({"text": "hello"})"), 409).find("--model"), std::string::npos);
}

TEST_F(ProbeApi, AModelWithOtherWeightsIsRefused) {
  start(BrownRun::get().dir(), (kSource / "models" / "brown-bert").string());
  EXPECT_NE(error_of(post(R"({"text": "hello"})"), 409).find("fingerprint"), std::string::npos);
  EXPECT_EQ(get("/api/tokens")->status, 200);
}

TEST_F(ProbeApi, ProbesAtOnceEachGetTheirOwnAnswerAndTheRestOfTheApiAnswers) {
  const auto run = Run::open(BrownRun::get().dir());
  start(run->dir());
  std::vector<std::string> ids(6);
  std::vector<int> statuses(ids.size(), 0), token_statuses(ids.size(), 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ids.size(); ++i)
    threads.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", port_);
      const RunSequence& s = run->sequences()[i % run->sequences().size()];
      const auto r = client.Post("/api/probe", nlohmann::json{{"text", s.text}}.dump(), "application/json");
      const auto tokens = client.Get("/api/tokens");
      if (!r || !tokens) return;
      statuses[i] = r->status;
      token_statuses[i] = tokens->status;
      const auto probe = nlohmann::json::parse(r->body, nullptr, false);
      if (probe.is_object() && probe["token_count"] == s.token_count) ids[i] = probe["id"];
    });
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(statuses[i], 200) << i;
    EXPECT_EQ(token_statuses[i], 200) << i;
    EXPECT_FALSE(ids[i].empty()) << i;
    EXPECT_EQ(std::count(ids.begin(), ids.end(), ids[i]), 1) << "ids are unique";
    EXPECT_EQ(get("/api/probe/" + ids[i] + "/attention/0/0")->status, 200);
  }
}

// Probes placed at once on a cold server all succeed, and what they share is built once: the head's search
// index and its t-SNE field, the other probes waiting for the one build instead of making their own.
TEST(ProbeLayoutsAtOnce, EveryProbeIsPlacedAndEachHeadsIndexAndFieldAreBuiltOnce) {
  const auto run = Run::open(BrownRun::get().dir());
  server::Probes probes(run, "");
  server::StoredLayouts stored(run);
  server::ProbeLayouts layouts(run, stored);
  constexpr int kProbes = 8;
  std::vector<std::shared_ptr<const server::Probe>> made;
  for (int i = 0; i < kProbes; ++i) {
    const RunSequence& s = run->sequences()[i % run->sequences().size()];
    made.push_back(probes.create(nlohmann::json{{"text", s.text}}.dump()));
  }
  std::vector<std::vector<float>> placed(kProbes);
  std::latch start(kProbes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kProbes; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      placed[i] = layouts.place(*made[i], LayoutMethod::TSNE, 2, 2, 1, Metric::Cosine);
    });
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kProbes; ++i) {
    ASSERT_EQ(placed[i].size(), size_t(2 * made[i]->tokens_count() * 2)) << i;
    EXPECT_TRUE(std::all_of(placed[i].begin(), placed[i].end(), [](float v) { return std::isfinite(v); }));
  }
  EXPECT_EQ(layouts.indices_built(), 1);
  EXPECT_EQ(layouts.fields_built(), 1);
  layouts.place(*made[0], LayoutMethod::UMAP, 2, 2, 1, Metric::Cosine);
  EXPECT_EQ(layouts.indices_built(), 1) << "UMAP uses the same head's index";
}

// Standard base64 with padding, as a browser's btoa writes it.
std::string base64(const std::string& bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) v |= uint8_t(bytes[i + 2]);
    const size_t present = std::min<size_t>(3, bytes.size() - i);  // n bytes give n + 1 digits, then '='
    for (size_t j = 0; j < 4; ++j) out += j <= present ? digits[(v >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

TEST_F(ProbeApi, AnImageOfTheDatasetLandsOnItsOwnPcaPoints) {
  TempDir temp;
  const std::filesystem::path digits = temp / "digits";
  std::filesystem::create_directories(digits);
  for (const char* name : {"digit0_label0.png", "digit1_label1.png", "digit2_label4.png"})
    std::filesystem::copy_file(kSource / "models" / "mnist-vit" / name, digits / name);
  const ProcessOutput extracted =
      run_attnviz("extract --model " + shell_quoted(kSource / "models" / "mnist-vit") + " --input " +
                  shell_quoted(digits) + " --out " + shell_quoted(temp / "run"));
  ASSERT_EQ(extracted.status, 0) << extracted.text;
  const ProcessOutput laid =
      run_attnviz("layout " + shell_quoted(temp / "run") + " --methods pca --dims 2 --heads 1:2");
  ASSERT_EQ(laid.status, 0) << laid.text;
  start(temp / "run");
  const std::string png = read_file(digits / "digit1_label1.png");
  const auto created = post(nlohmann::json{{"image", "data:image/png;base64," + base64(png)}}.dump());
  ASSERT_EQ(created->status, 200) << created->body;
  const auto probe = nlohmann::json::parse(created->body);
  const auto run = Run::open(temp / "run");
  const RunSequence& s = run->sequences()[1];
  ASSERT_EQ(probe["token_count"].get<int64_t>(), s.token_count);
  const std::vector<float> y =
      floats(get("/api/probe/" + probe["id"].get<std::string>() + "/layout/pca/2/1/2"));
  const std::vector<float> stored =
      LayoutFile::read(*run, layout_file_path(run->dir(), LayoutMethod::PCA, 2), 2).head(1, 2).points;
  float lo = INFINITY, hi = -INFINITY;
  for (float v : stored) lo = std::min(lo, v), hi = std::max(hi, v);
  const int64_t t = s.token_count, n = run->num_tokens();
  ASSERT_EQ(y.size(), size_t(4 * t));
  for (int64_t i = 0; i < 2 * t; ++i) {
    const int64_t row = i < t ? s.first_token + i : n + s.first_token + i - t;
    for (int c = 0; c < 2; ++c) EXPECT_NEAR(y[i * 2 + c], stored[row * 2 + c], 1e-4 * (hi - lo)) << i;
  }
  EXPECT_NE(error_of(post(R"({"image": "aGVsbG8="})"), 400).find("decode"), std::string::npos);
  EXPECT_FALSE(error_of(post(R"({"image": "!!"})"), 400).empty());
  EXPECT_FALSE(error_of(post(R"({"text": "seven"})"), 400).empty());
}

}  // namespace
}  // namespace attnviz::test
