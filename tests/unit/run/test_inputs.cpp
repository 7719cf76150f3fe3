// Reading extract inputs: .txt, .jsonl and image folders, and their errors.
#include <gtest/gtest.h>

#include "conformance.hpp"
#include "core/error.hpp"
#include "run/inputs.hpp"

namespace attnviz {
namespace {

using test::TempDir;
using test::write_text;

std::string error_of(const std::filesystem::path& path) {
  try {
    read_inputs(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Inputs, TxtIsOneInputPerNonBlankLine) {
  TempDir tmp;
  write_text(tmp / "a.txt", "first line\r\n\n   \nsecond line\nthird");
  const InputSet set = read_inputs(tmp / "a.txt");
  EXPECT_EQ(set.kind, "txt");
  ASSERT_EQ(set.items.size(), 3u);
  EXPECT_EQ(set.items[0].text, "first line");
  EXPECT_EQ(set.items[1].text, "second line");
  EXPECT_EQ(set.items[1].origin, (tmp / "a.txt").string() + ":4");
  EXPECT_EQ(set.items[2].kind, InputKind::Text);
}

TEST(Inputs, JsonlTextIdsAndImages) {
  TempDir tmp;
  write_text(tmp / "a.jsonl",
             "{\"text\": \"hi\", \"text_pair\": \"there\", \"label\": 3}\n"
             "\n"
             "{\"input_ids\": [1, 2, 3], \"token_type_ids\": [0, 0, 1]}\n"
             "{\"image\": \"img/x.png\"}\n");
  const InputSet set = read_inputs(tmp / "a.jsonl");
  EXPECT_EQ(set.kind, "jsonl");
  ASSERT_EQ(set.items.size(), 3u);
  EXPECT_EQ(set.items[0].text_pair, "there");
  EXPECT_EQ(set.items[1].kind, InputKind::Ids);
  EXPECT_EQ(set.items[1].input_ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(set.items[1].token_type_ids, (std::vector<int32_t>{0, 0, 1}));
  EXPECT_EQ(set.items[1].origin, (tmp / "a.jsonl").string() + ":3");
  EXPECT_EQ(set.items[2].kind, InputKind::Image);
  EXPECT_EQ(set.items[2].image, tmp / "img/x.png");  // relative to the .jsonl file
}

TEST(Inputs, ImageFolderIsSortedByName) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "images");
  for (const char* name : {"b.png", "a.PNG", "c.jpg", "notes.txt"}) write_text(tmp / "images" / name, "x");
  const InputSet set = read_inputs(tmp / "images");
  EXPECT_EQ(set.kind, "images");
  ASSERT_EQ(set.items.size(), 3u);
  EXPECT_EQ(set.items[0].image.filename(), "a.PNG");
  EXPECT_EQ(set.items[2].image.filename(), "c.jpg");
}

TEST(Inputs, TheSourceIsRecordedAbsolute) {  // the server serves image inputs only from inside it
  TempDir tmp;
  std::filesystem::create_directories(tmp / "images");
  write_text(tmp / "images" / "a.png", "x");
  const auto relative = std::filesystem::relative(tmp / "images", std::filesystem::current_path());
  EXPECT_EQ(read_inputs(relative.string() + "/").source, (tmp / "images").string());
  EXPECT_EQ(read_inputs(tmp / "images" / ".." / "images").source, (tmp / "images").string());
}

TEST(Inputs, ErrorsNameTheFileAndLine) {
  TempDir tmp;
  const std::string jsonl = (tmp / "a.jsonl").string();
  write_text(tmp / "a.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"unterminated}\n");
  EXPECT_EQ(error_of(jsonl).rfind(jsonl + ":2: ", 0), 0u) << error_of(jsonl);
  const std::pair<const char*, const char*> cases[] = {
      {"{\"text\": \"ok\"}\n[1, 2]\n", ":2: expected a JSON object"},
      {"{\"txt\": \"typo\"}\n", ":1: expected exactly one of \"text\", \"input_ids\" or \"image\""},
      {"{\"input_ids\": [1, -2]}\n", ":1: \"input_ids\" must hold non-negative integers, found -2"},
      {"{\"input_ids\": [1, 2], \"token_type_ids\": [0]}\n",
       ":1: \"token_type_ids\" has 1 values, \"input_ids\" 2"},
      {"{\"text\": 5}\n", ":1: \"text\" must be a string"},
      {"{\"input_ids\": []}\n", ":1: \"input_ids\" is empty"},
  };
  for (const auto& [content, error] : cases) {
    write_text(tmp / "a.jsonl", content);
    EXPECT_EQ(error_of(jsonl), jsonl + error) << content;
  }
}

TEST(Inputs, EmptyMissingAndUnsupportedInputs) {
  TempDir tmp;
  write_text(tmp / "empty.txt", "\n  \n");
  EXPECT_EQ(error_of(tmp / "empty.txt"), "input " + (tmp / "empty.txt").string() + " holds no inputs");
  EXPECT_EQ(error_of(tmp / "missing.txt"), "input " + (tmp / "missing.txt").string() + " does not exist");
  write_text(tmp / "data.csv", "a,b\n");
  EXPECT_NE(error_of(tmp / "data.csv").find("expected a .txt file, a .jsonl file or a folder of images"),
            std::string::npos);
  std::filesystem::create_directories(tmp / "nothing");
  EXPECT_NE(error_of(tmp / "nothing").find("holds no images"), std::string::npos);
}

TEST(Inputs, FileWithoutPermissionIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  TempDir tmp;
  write_text(tmp / "secret.txt", "text\n");
  std::filesystem::permissions(tmp / "secret.txt", std::filesystem::perms::none);
  EXPECT_NE(error_of(tmp / "secret.txt").find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace attnviz
