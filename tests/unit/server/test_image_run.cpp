// An image run: the token table has patch rows and columns, and /api/image serves each input's image file.
#include <fstream>

#include "core/fs.hpp"
#include "server_fixture.hpp"
#include "support/tiny_run.hpp"

namespace attnviz::test {
namespace {

// Images as a ViT-style run: a class token and a 2 x 2 patch grid each, one layer, one head; `dataset` is the
// folder recorded at extraction.
std::filesystem::path write_image_run(const std::filesystem::path& dir, const std::filesystem::path& dataset,
                                      const std::vector<std::filesystem::path>& images) {
  TinyRun run = TinyRun::images({"vit", "image", 1, 1, 1, 4, false, 0.5f}, images, 2);
  run.contents.dataset.source = dataset.string();
  for (size_t i = 0; i < run.q[0].size(); ++i)
    run.q[0][i] = run.k[0][i] = 0.1f * static_cast<float>(i % 20 % 7);
  run.write(dir);
  return dir;
}

TEST(ImageRun, ImagesAndPatchTokensAreServed) {
  TempDir temp;
  const auto models = std::filesystem::path(ATTNVIZ_SOURCE_DIR) / "models" / "mnist-vit";
  const auto digits = temp.path() / "digits";
  std::filesystem::create_directories(digits);
  std::filesystem::copy_file(models / "digit1_label1.png", digits / "one.png");
  std::filesystem::copy_file(models / "digit2_label4.png", digits / "four.png");
  std::filesystem::copy_file(models / "digit0_label0.png", digits / "gone.png");
  std::ofstream(digits / "fake.png") << "root:x:0:0:root:/root:/bin/bash\n";
  std::ofstream(temp.path() / "secret.png") << "not in the dataset folder";
  ServerOptions options;
  options.run_dir =
      write_image_run(temp.path() / "run", digits,
                      {digits / "four.png", digits / "one.png", digits / "gone.png", digits / "fake.png",
                       models / "digit0_label0.png", digits / ".." / "secret.png", "/etc/passwd"});
  options.port = 0;
  std::filesystem::remove(digits / "gone.png");
  Server server(options);
  httplib::Client client("127.0.0.1", server.start());

  auto image = client.Get("/api/image/1");
  ASSERT_TRUE(image);
  EXPECT_EQ(image->status, 200);
  EXPECT_EQ(image->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(image->body, read_file(digits / "one.png"));
  EXPECT_EQ(client.Get("/api/image/0")->body, read_file(digits / "four.png"));
  EXPECT_EQ(client.Get("/api/image/2")->status, 404) << "the file is gone";
  // Issue 11: a crafted manifest could name any file, and it was served.
  auto fake = client.Get("/api/image/3");
  EXPECT_EQ(fake->status, 403) << "a file that does not decode as an image is not served";
  EXPECT_EQ(fake->body.find("root:x"), std::string::npos);
  for (const char* outside : {"/api/image/4", "/api/image/5", "/api/image/6"}) {
    auto refused = client.Get(outside);
    EXPECT_EQ(refused->status, 403) << outside;
    EXPECT_NE(refused->body.find("outside the dataset folder"), std::string::npos) << refused->body;
  }
  EXPECT_EQ(client.Get("/api/image/7")->status, 404);
  EXPECT_EQ(client.Get("/api/image/one")->status, 400);

  auto tokens = nlohmann::json::parse(client.Get("/api/tokens")->body);
  EXPECT_EQ(tokens["patch_row"][0], -1);
  EXPECT_EQ(tokens["patch_col"][4], 1);
  EXPECT_EQ(tokens["special"][5], 1);
  EXPECT_FALSE(tokens.contains("char_start"));
  auto attention = client.Get("/api/attention/0/0/1");
  ASSERT_EQ(attention->status, 200);
  EXPECT_EQ(attention->get_header_value("X-Attnviz-Shape"), "5,5");
}

}  // namespace
}  // namespace attnviz::test
