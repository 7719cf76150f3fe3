// The built web UI: files from one folder, with content types and caching, and no way out of that folder.
#include <fstream>

#include "server/static_files.hpp"
#include "server_fixture.hpp"

namespace attnviz::test {
namespace {

class Static : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    write_text(web.path() / "index.html", "<!doctype html><title>attnviz</title>");
    write_text(web.path() / "assets" / "index-abc123.js", "console.log('hi')");
    write_text(web.path() / "assets" / "style.css", "body{}");
    write_text(web.path() / "favicon.svg", "<svg/>");
    write_text(outside.path() / "secret.txt", "SECRET");
    std::filesystem::create_symlink(outside.path() / "secret.txt", web.path() / "link.txt");
    std::filesystem::create_directory_symlink(outside.path(), web.path() / "linkdir");
  }
  TempDir outside;
};

TEST_F(Static, ServesFilesWithContentTypesAndIndexForRoot) {
  auto index = get("/");
  ASSERT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<!doctype html><title>attnviz</title>");
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index->get_header_value("Cache-Control"), "no-cache");
  EXPECT_EQ(get("/index.html")->body, index->body);

  auto script = get("/assets/index-abc123.js");
  ASSERT_EQ(script->status, 200);
  EXPECT_EQ(script->body, "console.log('hi')");
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script->get_header_value("Cache-Control").find("immutable"), std::string::npos);
  EXPECT_EQ(get("/assets/style.css")->get_header_value("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(get("/favicon.svg")->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_EQ(get("/missing.js")->status, 404);
}

TEST_F(Static, NothingOutsideTheFolderCanBeReached) {
  const std::string secret = (outside.path() / "secret.txt").string();
  const std::string up = "../" + outside.path().filename().string() + "/secret.txt";
  const std::vector<std::string> attempts = {
      "/" + up,
      "/assets/../../" + outside.path().filename().string() + "/secret.txt",
      "/%2e%2e/" + outside.path().filename().string() + "/secret.txt",
      "/%2E%2E%2F" + outside.path().filename().string() + "%2Fsecret.txt",
      "/..%2f..%2f..%2fetc%2fpasswd",
      "/" + secret,
      "//" + secret,
      "/link.txt",
      "/linkdir/secret.txt",
      "/assets/..%5c..%5csecret.txt",
      "/%00index.html"};
  for (const std::string& path : attempts) {
    auto result = get(path);
    EXPECT_TRUE(result->status == 404 || result->status == 400) << path << " answered " << result->status;
    EXPECT_EQ(result->body.find("SECRET"), std::string::npos) << path;
    EXPECT_EQ(result->body.find("root:"), std::string::npos) << path;
  }
}

TEST(StaticFiles, ResolveStaysInsideTheRoot) {
  TempDir root, outside;
  std::filesystem::create_directories(root.path() / "a");
  write_text(root.path() / "a" / "index.html", "x");
  write_text(root.path() / "b.js", "y");
  write_text(outside.path() / "s", "z");
  std::filesystem::create_symlink(outside.path() / "s", root.path() / "s");
  const auto real = std::filesystem::canonical(root.path());
  EXPECT_EQ(server::resolve_static(root.path(), "/b.js"), real / "b.js");
  EXPECT_EQ(server::resolve_static(root.path(), "/a/"), real / "a" / "index.html");
  EXPECT_EQ(server::resolve_static(root.path(), "/a"), real / "a" / "index.html");
  EXPECT_EQ(server::resolve_static(root.path(), "/a/../b.js"), std::nullopt);
  EXPECT_EQ(server::resolve_static(root.path(), "/./b.js"), std::nullopt);
  EXPECT_EQ(server::resolve_static(root.path(), "/s"), std::nullopt);
  EXPECT_EQ(server::resolve_static(root.path(), "b.js"), std::nullopt);
  EXPECT_EQ(server::resolve_static(root.path(), "/nope"), std::nullopt);
  EXPECT_EQ(server::content_type_for("x.wasm"), "application/wasm");
  EXPECT_EQ(server::content_type_for("x.unknown"), "application/octet-stream");
}

TEST_F(ServerTest, WithoutABuiltUiTheRootSaysToRunMakeWeb) {
  auto result = get("/");  // the fixture's web folder has no index.html
  EXPECT_EQ(result->status, 503);
  EXPECT_NE(result->body.find("make web"), std::string::npos) << result->body;
  EXPECT_EQ(get("/api/run")->status, 200) << "the API works without the UI";
}

}  // namespace
}  // namespace attnviz::test
