// Run files that change or break under a running server (issue 11, items 2 and 4): a truncated
// qk.safetensors or layout file, a metrics.json nested 200,000 deep. Each request that needs the file answers
// 500 naming it; the server lives on and answers the rest.
#include <chrono>
#include <fstream>
#include <thread>

#include "core/json.hpp"
#include "server_fixture.hpp"

namespace attnviz::test {
namespace {

using ChangedFiles = ServerTest;

TEST_F(ChangedFiles, ATruncatedQkFileIs500NotSigbus) {
  ASSERT_EQ(get("/api/attention/1/3/2")->status, 200);
  std::filesystem::resize_file(run.dir / "qk.safetensors", 100);  // truncate -s 100, as in the issue
  for (const char* path :
       {"/api/attention/1/3/2", "/api/norms/0/1", "/api/aggregate/1/2", "/api/layout/pca/2/0/0"}) {
    const std::string message = expect_error(path, 500);
    EXPECT_NE(message.find("qk.safetensors changed after attnviz opened it"), std::string::npos)
        << path << ": " << message;
  }
  EXPECT_EQ(get("/api/run")->status, 200) << "the server is alive";
  EXPECT_EQ(get("/api/tokens")->status, 200);
}

TEST_F(ChangedFiles, AQkFileRewrittenInPlaceIsNoticed) {
  ASSERT_EQ(get("/api/norms/0/0")->status, 200);
  const auto size = std::filesystem::file_size(run.dir / "qk.safetensors");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the file system's clock tick
  std::filesystem::resize_file(run.dir / "qk.safetensors", size / 2);
  std::filesystem::resize_file(run.dir / "qk.safetensors", size);  // same size, its second half now zeros
  EXPECT_NE(expect_error("/api/norms/0/0", 500).find("changed after attnviz opened it"), std::string::npos);
}

TEST_F(ChangedFiles, ALayoutFileTruncatedInPlaceIs500) {
  std::vector<std::pair<int, int>> heads;
  for (int layer = 0; layer < TestRun::kLayers; ++layer)
    for (int head = 0; head < TestRun::kHeads; ++head) heads.emplace_back(layer, head);
  write_layouts(run, "pca-2d", 2, heads, 1.0f);
  ASSERT_EQ(get("/api/layouts/pca/2")->status, 200);
  std::filesystem::resize_file(run.dir / "layouts" / "pca-2d.safetensors", 1000);
  EXPECT_NE(expect_error("/api/layouts/pca/2", 500).find("pca-2d.safetensors"), std::string::npos);
  EXPECT_NE(expect_error("/api/layout/pca/2/0/0", 500).find("pca-2d.safetensors"), std::string::npos);
  EXPECT_EQ(get("/api/layout/pca/3/0/0")->status, 200) << "other layouts are still computed on demand";
}

TEST_F(ChangedFiles, DeeplyNestedJsonIs500NamingTheFile) {
  std::filesystem::create_directories(run.dir / "layouts");
  std::ofstream(run.dir / "layouts" / "metrics.json") << std::string(200000, '[') << std::string(200000, ']');
  const std::string message = expect_error("/api/run", 500);
  EXPECT_NE(message.find("metrics.json: nested deeper than " + std::to_string(kMaxJsonDepth)),
            std::string::npos)
      << message;
  EXPECT_EQ(get("/api/tokens")->status, 200) << "the server is alive";
}

}  // namespace
}  // namespace attnviz::test
