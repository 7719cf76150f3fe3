// attnviz demo as a user runs it: the real binary on the bundled brown-gpt, in a temporary cache.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
using attnviz::test::BackgroundProcess;
using attnviz::test::run_attnviz;
using std::chrono::seconds;

class DemoCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp = std::make_unique<attnviz::test::TempDir>();
    cache = temp->path() / "cache";
  }
  static void TearDownTestSuite() { temp.reset(); }

  // Starts the demo on a free port and waits until it says it is ready; returns its log.
  static std::string start_and_stop(const std::string& model = "brown-gpt") {
    const int port = attnviz::test::free_port();
    BackgroundProcess demo({"demo", "--model", model, "--cache", cache.string(), "--port",
                            std::to_string(port), "--threads", "1"},
                           cache.parent_path() / (cache.filename().string() + ".log"));
    EXPECT_TRUE(demo.wait_for("ready at http://127.0.0.1:" + std::to_string(port) + "/", seconds(300)))
        << demo.log();
    httplib::Client client("127.0.0.1", port);
    auto run = client.Get("/api/run");
    EXPECT_TRUE(run && run->status == 200);
    if (run) {
      const auto json = nlohmann::json::parse(run->body);
      const bool image = model == "mnist-vit";
      EXPECT_EQ(json["manifest"]["model"]["model_type"], image ? "vit" : "gpt2");
      EXPECT_EQ(json["manifest"]["sequences"].size(), image ? 200u : 300u);
      if (image) {
        auto digit = client.Get("/api/image/199");
        EXPECT_TRUE(digit && digit->status == 200 && digit->body.rfind("\x89PNG", 0) == 0);
      }
    }
    auto layout = client.Get("/api/layout/pca/2/5/3");  // laid out on demand if the job has not reached it
    EXPECT_TRUE(layout && layout->status == 200);
    EXPECT_EQ(demo.interrupt(), 0) << demo.log();
    return demo.log();
  }

  static inline std::unique_ptr<attnviz::test::TempDir> temp;
  static inline fs::path cache;
};

TEST_F(DemoCli, ServesTheBundledModelThenReusesItsCache) {
  const std::string first = start_and_stop();
  EXPECT_NE(first.find("extract"), std::string::npos) << first;
  EXPECT_TRUE(fs::exists(cache / "brown-gpt" / "run" / "qk.safetensors"));
  const std::string second = start_and_stop();
  EXPECT_EQ(second.find("extract"), std::string::npos) << "the cached run was extracted again:\n" << second;
}

TEST_F(DemoCli, TheImageDemoServesItsDigits) { start_and_stop("mnist-vit"); }

TEST_F(DemoCli, ACorruptedCacheIsRebuilt) {
  start_and_stop();
  fs::resize_file(cache / "brown-gpt" / "run" / "qk.safetensors", 100);
  const std::string log = start_and_stop();
  EXPECT_NE(log.find("rebuilding"), std::string::npos) << log;
}

TEST_F(DemoCli, APortInUseSuggestsAnother) {
  attnviz::test::Listener taken;
  const auto out = run_attnviz("demo --cache " + cache.string() + " --port " + std::to_string(taken.port));
  EXPECT_EQ(out.status, 1) << out.err;
  EXPECT_NE(out.err.find("is in use; port "), std::string::npos) << out.err;
}

TEST_F(DemoCli, BadSituationsAreOneLineErrors) {
  const fs::path file = cache.parent_path() / (cache.filename().string() + ".file");
  std::ofstream(file) << "not a folder";
  for (const std::string& arguments :
       {"demo --model gpt-5 --cache " + cache.string(), "demo --cache " + (file / "cache").string()}) {
    const auto out = run_attnviz(arguments);
    EXPECT_EQ(out.status, 1) << arguments;
    EXPECT_EQ(out.err.rfind("attnviz: error: ", 0), 0u) << out.err;
    EXPECT_EQ(out.err.find('\n'), out.err.size() - 1) << out.err;
  }
  fs::remove(file);
}

}  // namespace
