#include <fstream>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

using test::error_of;

TEST(Json, ParsesStrictJson) {
  const auto value = parse_json_strict(R"({"a": [1, 2.5, "x"], "b": {"c": null}})", "t");
  EXPECT_EQ(value["a"][1], 2.5);
  EXPECT_TRUE(value["b"]["c"].is_null());
  // The same key in different objects is fine.
  EXPECT_EQ(parse_json_strict(R"([{"a": 1}, {"a": 2}, {"x": {"a": 3}, "a": 4}])", "t").size(), 3u);
}

TEST(Json, RejectsDuplicateKeysAtAnyDepth) {
  EXPECT_EQ(error_of([] { parse_json_strict(R"({"a": 1, "a": 2})", "config.json"); }),
            "config.json: duplicate key \"a\"");
  EXPECT_EQ(error_of([] { parse_json_strict(R"({"x": [{"k": {"b": 1, "b": 1}}]})", "t"); }),
            "t: duplicate key \"b\"");
}

TEST(Json, SyntaxErrorsGiveTheBytePosition) {
  EXPECT_EQ(error_of([] { parse_json_strict("{\"a\": 1,}", "t"); }).substr(0, 26),
            "t: invalid JSON at byte 9:");
  EXPECT_NE(error_of([] { parse_json_strict("{\"a\": 1} // c", "t"); }).find("invalid JSON at byte 10"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_json_strict("", "t"); }).find("t: invalid JSON at byte 1"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_json_strict("[1, 2", "t"); }).find("unexpected end of input"),
            std::string::npos);
}

TEST(Json, NestingIsBoundedWithAnErrorNamingTheSource) {
  const auto at_limit = [](char open, char close) {
    std::string text;
    for (int i = 0; i < kMaxJsonDepth; ++i) text += open == '[' ? "[" : "{\"a\":";
    return text + (open == '[' ? "" : "1") + std::string(kMaxJsonDepth, close);
  };
  EXPECT_TRUE(parse_json_strict(at_limit('[', ']'), "t").is_array());
  EXPECT_TRUE(parse_json_strict(at_limit('{', '}'), "t").is_object());
  const std::string expected =
      "config.json: nested deeper than " + std::to_string(kMaxJsonDepth) + " arrays and objects";
  // Issue 11: 200,000 brackets used to crash whatever walked the document recursively.
  const int deep = 200000;
  EXPECT_EQ(
      error_of([&] { parse_json_strict(std::string(deep, '[') + std::string(deep, ']'), "config.json"); }),
      expected);
  std::string objects;
  for (int i = 0; i < deep; ++i) objects += "{\"a\":";
  EXPECT_EQ(error_of([&] { parse_json_strict(objects + "1" + std::string(deep, '}'), "config.json"); }),
            expected);
  EXPECT_EQ(error_of([&] { parse_json_strict("[" + at_limit('[', ']') + "]", "config.json"); }), expected);
  // Unterminated but deep: the depth is what is reported, before the end of the input is reached.
  EXPECT_EQ(error_of([&] { parse_json_strict(std::string(deep, '['), "config.json"); }), expected);
}

TEST(Json, ReadJsonFileNamesThePath) {
  test::TempDir dir;
  EXPECT_EQ(error_of([&] { read_json_file(dir / "absent.json"); }),
            "cannot read " + (dir / "absent.json").string() + ": No such file or directory");
  write_file_atomic(dir / "bad.json", "{\"a\": tru}");
  EXPECT_NE(error_of([&] {
              read_json_file(dir / "bad.json");
            }).find((dir / "bad.json").string() + ": invalid JSON at byte"),
            std::string::npos);
  write_file_atomic(dir / "good.json", "{\"a\": true}");
  EXPECT_EQ(read_json_file(dir / "good.json")["a"], true);
}

TEST(Fs, ReadFileErrors) {
  test::TempDir dir;
  EXPECT_EQ(error_of([&] { read_file(dir.path()); }),
            "cannot read " + dir.path().string() + ": it is a directory");
  EXPECT_EQ(error_of([&] { read_file(dir / "x"); }),
            "cannot read " + (dir / "x").string() + ": No such file or directory");
}

TEST(Fs, WriteFileAtomicReplacesAndLeavesNoTemp) {
  test::TempDir dir;
  const std::string binary("a\0b\xff", 4);
  write_file_atomic(dir / "f", "old");
  write_file_atomic(dir / "f", binary);
  EXPECT_EQ(read_file(dir / "f"), binary);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  EXPECT_EQ(temp_sibling(dir / "f"), dir / ("f.tmp-" + std::to_string(::getpid())));
  EXPECT_THROW(write_file_atomic(dir / "no-such-folder" / "f", "x"), Error);
}

TEST(Fs, AtomicFileIsInvisibleUntilCommittedAndRemovedOtherwise) {
  test::TempDir dir;
  write_file_atomic(dir / "f", "old");
  {
    AtomicFile file(dir / "f");
    EXPECT_TRUE(file.write("new ", 4));
    EXPECT_TRUE(file.write("contents", 8));
    EXPECT_EQ(read_file(dir / "f"), "old");  // untouched until commit
    EXPECT_TRUE(fs::exists(temp_sibling(dir / "f")));
    file.commit();
  }
  EXPECT_EQ(read_file(dir / "f"), "new contents");
  {
    AtomicFile abandoned(dir / "f");  // an error or a failed download: destroyed uncommitted
    abandoned.write("partial", 7);
  }
  EXPECT_EQ(read_file(dir / "f"), "new contents");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  EXPECT_EQ(
      error_of([&] { AtomicFile(dir / "no-such-folder" / "f"); }),
      "cannot write " + temp_sibling(dir / "no-such-folder" / "f").string() + ": No such file or directory");
}

TEST(Fs, AtomicFileReportsAFailedWriteAtCommit) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  test::TempDir dir;
  fs::create_symlink("/dev/full", temp_sibling(dir / "f"));  // every write to the temporary file fails
  AtomicFile file(dir / "f");
  const std::string block(1 << 16, 'x');  // more than stdio buffers, so that the write itself fails
  EXPECT_FALSE(file.write(block.data(), block.size()));
  EXPECT_FALSE(file.write("x", 1));  // the first failure sticks
  EXPECT_EQ(error_of([&] { file.commit(); }),
            "cannot write " + temp_sibling(dir / "f").string() + ": No space left on device");
  EXPECT_FALSE(fs::exists(dir / "f"));
}

TEST(Fs, StagingDirCommitReplacesTheFinalFolder) {
  test::TempDir dir;
  const auto final_path = dir / "run";
  fs::create_directories(final_path);
  write_file_atomic(final_path / "stale", "x");
  {
    StagingDir staging(final_path);
    EXPECT_EQ(staging.path(), temp_sibling(final_path));
    write_file_atomic(staging.path() / "manifest.json", "{}");
    EXPECT_TRUE(fs::exists(final_path / "stale"));  // untouched until commit
    staging.commit();
  }
  EXPECT_TRUE(fs::exists(final_path / "manifest.json"));
  EXPECT_FALSE(fs::exists(final_path / "stale"));
  EXPECT_FALSE(fs::exists(temp_sibling(final_path)));
}

TEST(Fs, StagingDirIsRemovedWhenNotCommitted) {
  test::TempDir dir;
  const auto final_path = dir / "run";
  try {
    StagingDir staging(final_path);
    write_file_atomic(staging.path() / "half", "x");
    throw Error("failed halfway");
  } catch (const Error&) {
  }
  EXPECT_FALSE(fs::exists(final_path));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace attnviz
