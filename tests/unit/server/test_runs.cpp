// Several runs in one server (docs/api.md, "Several runs"): /api/runs, each run under /api/runs/{name}/, the
// first also under /api/, a folder of runs, and what is refused.
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "layout/heads_file.hpp"
#include "server/heads_across_runs.hpp"
#include "server/http_util.hpp"
#include "server/runs.hpp"
#include "server_fixture.hpp"
#include "support/error_of.hpp"
#include "support/process.hpp"

namespace attnviz::test {
namespace {

namespace fs = std::filesystem;

// A copy of `run` at `dir` with its first sentence left out (so the two runs' answers differ).
void write_smaller_copy(const TestRun& run, const fs::path& dir) {
  auto sentences = run.sentences;
  sentences.erase(sentences.begin());
  TinyRun::text(
      {"gpt2", "text", TestRun::kLayers, TestRun::kHeads, TestRun::kKvHeads, TestRun::kHeadDim, true, 1.0f},
      sentences)
      .random(11, 1.0f)
      .write(dir);
}

class Runs : public ServerTest {
 protected:
  void SetUp() override {
    write_smaller_copy(run, other.path() / "run");  // the same base name as the first: "run-2"
    fs::copy(run.dir, other.path() / "v1.0", fs::copy_options::recursive);
    ServerTest::SetUp();
  }
  void start_more() {
    server->stop();
    ServerOptions options;
    options.run_dir = run.dir;
    options.more_run_dirs = {other.path() / "run", other.path() / "v1.0"};
    options.web_dir = web.path();
    options.port = 0;
    server = std::make_unique<Server>(options);
    client = std::make_unique<httplib::Client>("127.0.0.1", server->start());
    client->set_url_encode(false);
  }
  TempDir other;
};

TEST_F(Runs, OneRunIsListedAndServedUnderItsNameAndBare) {
  const nlohmann::json runs = get_json("/api/runs");
  ASSERT_EQ(runs["runs"].size(), 1u);
  EXPECT_EQ(runs["runs"][0]["name"], "run");
  EXPECT_EQ(runs["runs"][0]["prefix"], "api/runs/run/");
  EXPECT_EQ(get("/api/runs/run/attention/1/2/0")->body, get("/api/attention/1/2/0")->body);
}

TEST_F(Runs, EachRunIsServedUnderItsNameAndTheFirstAlsoBare) {
  start_more();
  const nlohmann::json runs = get_json("/api/runs");
  ASSERT_EQ(runs["runs"].size(), 3u);
  const char* names[] = {"run", "run-2", "v1.0"};
  for (size_t i = 0; i < 3; ++i) {
    const nlohmann::json& r = runs["runs"][i];
    EXPECT_EQ(r["name"], names[i]);
    EXPECT_EQ(r["prefix"], std::string("api/runs/") + names[i] + "/");
    EXPECT_EQ(r["model"], "gpt2");
    EXPECT_EQ(r["layers"], TestRun::kLayers);
    EXPECT_EQ(r["heads"], TestRun::kHeads);
  }
  EXPECT_EQ(runs["runs"][0]["sequences"], 3);
  EXPECT_EQ(runs["runs"][1]["sequences"], 2);
  EXPECT_EQ(runs["runs"][0]["tokens"], run.n);

  EXPECT_EQ(get_json("/api/runs/run-2/run")["manifest"]["sequences"].size(), 2u);
  EXPECT_EQ(get_json("/api/run")["manifest"]["sequences"].size(), 3u) << "bare /api/ is the first run";
  EXPECT_EQ(get("/api/runs/run/attention/1/2/0")->body, get("/api/attention/1/2/0")->body);
  EXPECT_EQ(get("/api/runs/v1.0/norms/1/3")->body, get("/api/norms/1/3")->body) << "a copy of the first";
  EXPECT_NE(get("/api/runs/run-2/attention/1/2/0")->body, get("/api/attention/1/2/0")->body);
  EXPECT_LT(get_json("/api/runs/run-2/search?token=the")["count"], get_json("/api/search?token=the")["count"])
      << "its own token table";

  // Its own bounds, and errors as under /api/.
  EXPECT_NE(expect_error("/api/runs/run-2/attention/0/0/2", 404).find("sequence 2"), std::string::npos);
  expect_error("/api/runs/run-2/attention/x/0/0", 400);
  EXPECT_NE(expect_error("/api/runs/run-3/run", 404).find("no run 'run-3'"), std::string::npos);
  EXPECT_NE(expect_error("/api/runs/v1x0/run", 404).find("no run"), std::string::npos) << "'.' is literal";
  for (const char* path : {"/api/runs/run-2/nothing", "/api/runs/run-2/", "/api/runs/run-2", "/api/runs/"}) {
    expect_error(path, 404);
  }
  EXPECT_EQ(client->Post("/api/runs", "", "text/plain")->status, 405);
  EXPECT_EQ(client->Post("/api/runs/run-2/run", "{}", "application/json")->status, 405);
}

TEST(OpenRuns, AFolderOfRunsIsExpandedInNameOrder) {
  TestRun run;
  TempDir folder;
  fs::copy(run.dir, folder / "b", fs::copy_options::recursive);
  fs::copy(run.dir, folder / "a run", fs::copy_options::recursive);
  fs::create_directories(folder / "not-a-run");
  const auto runs = server::open_runs({folder.path(), run.dir});
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].name, "a_run");
  EXPECT_EQ(runs[1].name, "b");
  EXPECT_EQ(runs[2].name, "run");
  EXPECT_EQ(runs[0].run->dir(), folder / "a run");
}

TEST(OpenRuns, WhatIsNotARunIsAnErrorNamingIt) {
  TempDir folder;
  fs::create_directories(folder / "empty" / "inner");
  EXPECT_NE(
      error_of([&] { server::open_runs({folder / "empty"}); }).find("empty: not a run (no manifest.json)"),
      std::string::npos);
  EXPECT_NE(error_of([&] { server::open_runs({folder / "missing"}); }).find("missing: not a folder"),
            std::string::npos);
  TestRun run;
  fs::create_directories(folder / "runs");
  fs::copy(run.dir, folder / "runs" / "broken", fs::copy_options::recursive);
  write_file_atomic(folder / "runs" / "broken" / "manifest.json", "{");
  EXPECT_NE(error_of([&] {
              server::open_runs({run.dir, folder / "runs"});
            }).find("broken"),
            std::string::npos);
}

TEST(OpenRuns, AProbeModelWithSeveralRunsIsRefused) {
  TestRun run;
  ServerOptions options;
  options.run_dir = run.dir;
  options.more_run_dirs = {run.dir};
  options.model = "some/model";
  EXPECT_NE(error_of([&] { Server server(options); }).find("each run's probes use the model its manifest"),
            std::string::npos);
  options.model.clear();
  Server twice(options);  // the same run twice: "run" and "run-2"
}

// GET /api/heads/map: the heads of every served run in one map by their fingerprints. "v1.0" is a copy of
// "run": each of its heads lands exactly on the same head of "run"; "run-2" has no heads map and is skipped.
TEST_F(Runs, TheHeadsMapPlacesEveryRunsHeadsAndARunServedTwiceCoincides) {
  start_more();
  EXPECT_NE(expect_error("/api/heads/map", 404).find("no served run"), std::string::npos);
  for (const fs::path& dir : {run.dir, other.path() / "v1.0"}) {
    const auto opened = Run::open(dir);
    write_heads_file(*opened, compute_heads_map(*opened, 42, 2));
  }
  const nlohmann::json map = get_json("/api/heads/map");
  ASSERT_EQ(map["runs"].size(), 2u);
  EXPECT_EQ(map["runs"][0]["name"], "run");
  EXPECT_EQ(map["runs"][1]["name"], "v1.0");
  ASSERT_EQ(map["skipped"].size(), 1u);
  EXPECT_EQ(map["skipped"][0]["name"], "run-2");
  const std::string reason = map["skipped"][0]["reason"];
  EXPECT_EQ(reason.rfind("layouts/heads.json: no heads map yet", 0), 0u) << reason << ": no path of the run";
  const size_t n = TestRun::kLayers * TestRun::kHeads;
  ASSERT_EQ(map["heads"].size(), 2 * n);
  double spread = 0;
  for (size_t i = 0; i < n; ++i) {
    const nlohmann::json &a = map["heads"][i], &b = map["heads"][n + i];
    EXPECT_EQ(a["run"], "run");
    EXPECT_EQ(b["run"], "v1.0");
    EXPECT_EQ(a["layer"], i / TestRun::kHeads);
    EXPECT_EQ(a["head"], b["head"]);
    EXPECT_NEAR(a["map"][0].get<double>(), b["map"][0].get<double>(), 1e-9) << "head " << i;
    EXPECT_NEAR(a["map"][1].get<double>(), b["map"][1].get<double>(), 1e-9) << "head " << i;
    spread =
        std::max(spread, std::hypot(a["map"][0].get<double>() - map["heads"][0]["map"][0].get<double>(),
                                    a["map"][1].get<double>() - map["heads"][0]["map"][1].get<double>()));
  }
  EXPECT_GT(spread, 1e-3) << "different heads are placed apart";
  EXPECT_EQ(client->Post("/api/heads/map", "", "text/plain")->status, 405);
  EXPECT_EQ(get("/api/runs/run/heads/map")->status, 404) << "a run-wide route, not a per-run one";
}

// The heads map is computed once and kept while every run's heads.json stays the same file: a second request
// is the same reply without computing again; a heads.json rewritten, corrupted or removed changes it (a
// corrupt one skips its run with a one-line reason; none left: 404, kept as well).
TEST_F(Runs, TheHeadsMapIsKeptUntilAHeadsFileChanges) {
  const fs::path copy = other.path() / "v1.0";
  for (const fs::path& dir : {run.dir, copy}) {
    const auto opened = Run::open(dir);
    write_heads_file(*opened, compute_heads_map(*opened, 42, 2));
  }
  server::HeadsAcrossRuns map(server::open_runs({run.dir, copy}));
  const auto first = map.reply();
  EXPECT_EQ(map.reply(), first) << "the kept reply, not a new one";
  EXPECT_EQ(map.computed(), 1);
  // The copy's first head made unlike the run's: a new file, so a new map.
  nlohmann::json doc = read_heads_file(*Run::open(copy));
  nlohmann::json& first_figure = doc["heads"][0]["fingerprint"][0];
  first_figure = first_figure.get<double>() < 0.5 ? 1.0 : 0.0;
  write_file_atomic(heads_file_path(copy), doc.dump());
  const auto changed = map.reply();
  EXPECT_EQ(map.computed(), 2);
  EXPECT_NE(*changed, *first);
  write_file_atomic(heads_file_path(copy), "{\"format\": ");
  const nlohmann::json corrupt = nlohmann::json::parse(*map.reply());
  EXPECT_EQ(map.computed(), 3);
  ASSERT_EQ(corrupt["skipped"].size(), 1u);
  EXPECT_EQ(corrupt["skipped"][0]["name"], "v1.0");
  EXPECT_EQ(corrupt["skipped"][0]["reason"].get<std::string>().find('\n'), std::string::npos);
  EXPECT_EQ(corrupt["heads"].size(), size_t{TestRun::kLayers * TestRun::kHeads});
  fs::remove(heads_file_path(run.dir));
  for (int twice = 0; twice < 2; ++twice) {
    try {
      map.reply();
      ADD_FAILURE() << "no run has a heads map: 404";
    } catch (const server::HttpError& e) {
      EXPECT_EQ(e.status, 404);
      EXPECT_NE(std::string(e.what()).find("no served run"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(map.computed(), 4);
  // The server's route follows the files the same way.
  start_more();
  write_file_atomic(heads_file_path(copy), doc.dump());
  const std::string served = get("/api/heads/map")->body;
  EXPECT_EQ(nlohmann::json::parse(served)["runs"].size(), 1u);
  write_heads_file(*Run::open(run.dir), compute_heads_map(*Run::open(run.dir), 42, 2));
  EXPECT_EQ(get_json("/api/heads/map")["runs"].size(), 2u);
}

// The cross-run map of two models with different tokenizers and attention (brown-gpt: causal, BPE;
// brown-bert: bidirectional, WordPiece, [CLS] ... [SEP]), extracted by the real binary on 12 sentences: every
// head of both is placed, none skipped; and the map shows what only one model can do: the BERT head farthest
// from every GPT head is a next-token head, which a causal model cannot have.
TEST(HeadsMapAcrossModels, PlacesBrownGptAndBrownBertAndSetsBertsNextTokenHeadsApart) {
  TempDir temp;
  std::vector<fs::path> dirs;
  for (const std::string model : {"brown-gpt", "brown-bert"}) {
    fs::create_directories(temp / model);
    const ProcessOutput extracted = extract_brown(model, temp / model, 12);
    ASSERT_EQ(extracted.status, 0) << extracted.text;
    const auto opened = Run::open(temp / model / "run");
    write_heads_file(*opened, compute_heads_map(*opened, 42, 2));
    dirs.push_back(temp / model / "run");
  }
  TempDir web;
  ServerOptions options;
  options.run_dir = dirs[0];
  options.more_run_dirs = {dirs[1]};
  options.web_dir = web.path();
  options.port = 0;
  Server server(options);
  httplib::Client client("127.0.0.1", server.start());
  const auto reply = client.Get("/api/heads/map");
  ASSERT_TRUE(reply && reply->status == 200) << (reply ? reply->body : "no reply");
  const nlohmann::json map = nlohmann::json::parse(reply->body);
  ASSERT_EQ(map["runs"].size(), 2u);
  EXPECT_TRUE(map["skipped"].empty());
  const nlohmann::json bert = read_heads_file(*Run::open(dirs[1]));
  std::vector<std::array<double, 2>> gpt_at, bert_at;
  for (const nlohmann::json& h : map["heads"]) {
    const std::array<double, 2> at = {h["map"][0].get<double>(), h["map"][1].get<double>()};
    ASSERT_TRUE(std::isfinite(at[0]) && std::isfinite(at[1]));
    (h["run"] == "run" ? gpt_at : bert_at).push_back(at);
  }
  ASSERT_EQ(gpt_at.size(), 48u);
  ASSERT_EQ(bert_at.size(), 48u);
  size_t farthest = 0;
  double farthest_gap = -1;
  for (size_t b = 0; b < bert_at.size(); ++b) {
    double gap = INFINITY;
    for (const auto& g : gpt_at) gap = std::min(gap, std::hypot(bert_at[b][0] - g[0], bert_at[b][1] - g[1]));
    if (gap > farthest_gap) farthest = b, farthest_gap = gap;
  }
  EXPECT_EQ(bert["heads"][farthest]["type"], "next_token")
      << "L" << bert["heads"][farthest]["layer"] << "H" << bert["heads"][farthest]["head"] << ", "
      << farthest_gap << " from every GPT head";
}

}  // namespace
}  // namespace attnviz::test
