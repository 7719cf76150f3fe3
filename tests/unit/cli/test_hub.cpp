// Hub ids against a real HTTP server on 127.0.0.1 that serves the hub's URL layout
// ({endpoint}/{repo}/resolve/{revision}/{file}) from the fixture checkpoints. Nothing touches the internet.
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "../run/conformance.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "model/hub.hpp"
#include "model/model.hpp"
#include "run/extract.hpp"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";

// Sets environment variables for one test and puts the old values back.
class Environment {
 public:
  void set(const std::string& name, const std::optional<std::string>& value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value)
      ::setenv(name.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
  ~Environment() {
    for (const auto& [name, value] : saved_)
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// A hub: repo id -> local folder. "gated/*" repos answer 401 without the right token; "broken/*" repos cut
// model.safetensors off half way.
class FakeHub {
 public:
  FakeHub() {
    server_.Get(R"(/(.+)/resolve/([^/]+)/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost, and join() would wait forever.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHub() { stop(); }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void add(const std::string& repo, const fs::path& folder) { repos_[repo] = folder; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::set<std::string> authorizations() {
    std::lock_guard lock(mutex_);
    return authorizations_;
  }

 private:
  void serve(const httplib::Request& req, httplib::Response& res) {
    const std::string repo = req.matches[1], revision = req.matches[2], file = req.matches[3];
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(repo + "@" + revision + ":" + file);
      authorizations_.insert(req.get_header_value("Authorization"));
    }
    if (repo.rfind("gated/", 0) == 0 && req.get_header_value("Authorization") != "Bearer right-token") {
      res.status = 401;
      return;
    }
    const auto it = repos_.find(repo);
    if (it == repos_.end() || !fs::is_regular_file(it->second / file)) {
      res.status = 404;
      return;
    }
    res.set_header("X-Repo-Commit", kCommit);
    auto contents = std::make_shared<std::string>(read_file(it->second / file));
    if (repo.rfind("broken/", 0) == 0 && file == "model.safetensors") {
      res.set_content_provider(contents->size(), "application/octet-stream",
                               [contents](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset > 0) return false;  // the connection drops half way
                                 sink.write(contents->data(), contents->size() / 2);
                                 return true;
                               });
      return;
    }
    res.set_content(*contents, "application/octet-stream");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::map<std::string, fs::path> repos_;
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::set<std::string> authorizations_;
};

const fs::path kGpt2 = test::source_dir() / "tests/fixtures/hf/gpt2/model";
const fs::path kLlama = test::source_dir() / "tests/fixtures/hf/llama/model";

class Hub : public ::testing::Test {
 protected:
  Hub() {
    hub_.add("attnviz-test/tiny-gpt2", kGpt2);
    hub_.add("tiny-llama", kLlama);
    hub_.add("gated/tiny-gpt2", kGpt2);
    hub_.add("broken/tiny-gpt2", kGpt2);
    env_.set("HF_ENDPOINT", hub_.endpoint());
    env_.set("HF_HOME", tmp_.path().string());
    env_.set("HF_HUB_CACHE", std::nullopt);
    env_.set("HF_TOKEN", std::nullopt);
    env_.set("HF_HUB_OFFLINE", std::nullopt);
  }
  fs::path cache() const { return tmp_ / "hub"; }
  std::string error_of(const std::string& id) {
    try {
      resolve_model(id);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }

  TempDir tmp_;
  FakeHub hub_;
  Environment env_;
};

TEST(HubId, Parses) {
  EXPECT_EQ(parse_hub_id("gpt2")->repo, "gpt2");
  EXPECT_EQ(parse_hub_id("gpt2")->revision, "main");
  const auto id = parse_hub_id("openai-community/gpt2@v1.0");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->repo, "openai-community/gpt2");
  EXPECT_EQ(id->revision, "v1.0");
  EXPECT_EQ(parse_hub_id("org/name@refs/pr/1")->revision, "refs/pr/1");
  for (const char* bad : {"./gpt2", "/abs/path", "a/b/c", "has space", "..", "org/../x", "org/a--b", "gpt2@",
                          "gpt2@../main", "", "-lead"})
    EXPECT_FALSE(parse_hub_id(bad)) << bad;
}

TEST(HubId, CacheLocationFollowsTheEnvironment) {
  Environment env;
  env.set("HF_HUB_CACHE", "/x/cache");
  env.set("HF_HOME", "/y");
  EXPECT_EQ(hf_hub_cache(), "/x/cache");
  env.set("HF_HUB_CACHE", std::nullopt);
  EXPECT_EQ(hf_hub_cache(), "/y/hub");
  env.set("HF_HOME", std::nullopt);
  env.set("XDG_CACHE_HOME", std::nullopt);
  env.set("HOME", "/home/u");
  EXPECT_EQ(hf_hub_cache(), "/home/u/.cache/huggingface/hub");
}

TEST_F(Hub, AnExistingPathWins) {
  EXPECT_EQ(resolve_model(kGpt2.string()), kGpt2);
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(Hub, DownloadsIntoTheCacheThenReusesIt) {
  env_.set("HF_TOKEN", "secret");
  const fs::path dir = resolve_model("attnviz-test/tiny-gpt2");
  const fs::path repo = cache() / "models--attnviz-test--tiny-gpt2";
  EXPECT_EQ(dir, repo / "snapshots" / kCommit);
  EXPECT_EQ(read_file(repo / "refs" / "main"), kCommit);
  for (const char* file : {"config.json", "model.safetensors"})
    EXPECT_EQ(read_file(dir / file), read_file(kGpt2 / file)) << file;
  EXPECT_FALSE(fs::exists(dir / "tokenizer.json"));  // the hub has none: a 404 on an optional file is fine
  EXPECT_EQ(hub_.authorizations(), std::set<std::string>{"Bearer secret"});
  EXPECT_EQ(load_model(dir)->config().model_type, "gpt2");

  // Resolved from the cache, without the server.
  hub_.stop();
  EXPECT_EQ(resolve_model("attnviz-test/tiny-gpt2"), dir);
  env_.set("HF_HUB_OFFLINE", "1");
  EXPECT_EQ(resolve_model("attnviz-test/tiny-gpt2@main"), dir);
}

TEST_F(Hub, DownloadsShardedCheckpointsAtARevision) {
  const fs::path dir = resolve_model("tiny-llama@v1");
  EXPECT_EQ(read_file(cache() / "models--tiny-llama" / "refs" / "v1"), kCommit);
  for (const auto& entry : fs::directory_iterator(kLlama)) {
    if (entry.path().filename() == "generation_config.json") continue;  // not needed, not fetched
    EXPECT_EQ(read_file(dir / entry.path().filename()), read_file(entry.path())) << entry.path();
  }
  EXPECT_FALSE(fs::exists(dir / "generation_config.json"));
  const auto requests = hub_.requests();
  EXPECT_NE(std::find(requests.begin(), requests.end(), "tiny-llama@v1:model-00006-of-00006.safetensors"),
            requests.end());
  EXPECT_EQ(load_model(dir)->config().num_kv_heads, 2);
}

TEST_F(Hub, UnknownModelIsA404Error) {
  const std::string error = error_of("nobody/nothing");
  EXPECT_NE(error.find("model nobody/nothing is not a local folder and cannot be downloaded from " +
                       hub_.endpoint() + ": the hub has no config.json for it (HTTP 404)"),
            std::string::npos)
      << error;
  EXPECT_FALSE(fs::exists(cache() / "models--nobody--nothing" / "snapshots"));
}

TEST_F(Hub, GatedModelNeedsTheToken) {
  EXPECT_NE(
      error_of("gated/tiny-gpt2").find("HTTP 401 for config.json (a private or gated model needs HF_TOKEN"),
      std::string::npos)
      << error_of("gated/tiny-gpt2");
  env_.set("HF_TOKEN", "right-token");
  EXPECT_TRUE(fs::exists(resolve_model("gated/tiny-gpt2") / "model.safetensors"));
}

TEST_F(Hub, NetworkFailureIsAClearErrorAndLeavesNoPartialFiles) {
  const std::string error = error_of("broken/tiny-gpt2");
  EXPECT_NE(
      error.find("cannot download " + hub_.endpoint() + "/broken/tiny-gpt2/resolve/main/model.safetensors"),
      std::string::npos)
      << error;
  const fs::path snapshot = cache() / "models--broken--tiny-gpt2" / "snapshots" / kCommit;
  EXPECT_FALSE(fs::exists(snapshot / "model.safetensors"));
  EXPECT_FALSE(fs::exists(snapshot / "config.json"));  // written last: the snapshot is not taken as complete
  for (const auto& entry : fs::directory_iterator(snapshot))
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();

  hub_.stop();  // nothing listens any more
  const std::string refused = error_of("attnviz-test/tiny-gpt2");
  EXPECT_NE(
      refused.find("cannot download " + hub_.endpoint() + "/attnviz-test/tiny-gpt2/resolve/main/config.json"),
      std::string::npos)
      << refused;
}

TEST_F(Hub, OfflineModeRefusesToDownload) {
  env_.set("HF_HUB_OFFLINE", "1");
  EXPECT_NE(error_of("attnviz-test/tiny-gpt2").find("HF_HUB_OFFLINE=1"), std::string::npos);
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(Hub, NotAnIdNorAFolder) {
  EXPECT_EQ(error_of("./no/such/folder"),
            "model ./no/such/folder: no such folder, and not a Hugging Face hub id");
}

TEST_F(Hub, ExtractTakesAHubIdThroughTheBinary) {
  test::write_text(tmp_ / "ids.jsonl", "{\"input_ids\": [1, 2, 3, 4]}\n");
  const std::string command = "HF_ENDPOINT=" + hub_.endpoint() + " HF_HOME=" + tmp_.path().string() + " " +
                              ATTNVIZ_BINARY + " extract --model attnviz-test/tiny-gpt2 --input " +
                              (tmp_ / "ids.jsonl").string() + " --out " + (tmp_ / "run").string() + " 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
  EXPECT_EQ(Run::open(tmp_ / "run")->model().model_type, "gpt2");
}

}  // namespace
}  // namespace attnviz
