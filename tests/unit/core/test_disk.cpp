// The disk check of extract and layout (core/disk.hpp) against this machine's real filesystem.
#include <gtest/gtest.h>

#include "core/disk.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace attnviz {
namespace {

TEST(Disk, SizesAreShownInPowersOfAThousand) {
  EXPECT_EQ(size_text(0), "0 B");
  EXPECT_EQ(size_text(999), "999 B");
  EXPECT_EQ(size_text(1000), "1.0 kB");
  EXPECT_EQ(size_text(1234567), "1.2 MB");
  EXPECT_EQ(size_text(999'960'000), "1.0 GB");
  EXPECT_EQ(size_text(3'400'000'000'000ull), "3.4 TB");
}

TEST(Disk, FilesTakeWholeBlocksAndOneMoreEach) {
  EXPECT_EQ(bytes_on_disk({}, 4096), 0u);
  EXPECT_EQ(bytes_on_disk({{"a", 0}}, 4096), 4096u);
  EXPECT_EQ(bytes_on_disk({{"a", 1}, {"b", 4096}}, 4096), 2 * 4096u + 2 * 4096u);
  EXPECT_EQ(bytes_on_disk({{"a", 4097}}, 4096), 3 * 4096u);
  EXPECT_EQ(total_bytes({{"a", 4097}, {"b", 3}}), 4100u);
  EXPECT_EQ(files_text({{"qk.safetensors", 26'450'904}, {"tokens.json", 3}}),
            "qk.safetensors 26.5 MB, tokens.json 3 B");
}

TEST(Disk, TheFreeSpaceIsTheFilesystemsAndAFolderNotYetMadeIsOnItsParents) {
  test::TempDir dir;
  const DiskSpace here = disk_space(dir.path());
  EXPECT_GT(here.free, 0u);
  EXPECT_GT(here.block, 0u);
  const DiskSpace later = disk_space(dir.path() / "not" / "yet");
  EXPECT_EQ(later.block, here.block);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "not"));
}

TEST(Disk, AJobThatFitsPassesAndOneThatDoesNotIsRefusedWithTheNumbers) {
  test::TempDir dir;
  EXPECT_EQ(test::error_of([&] {
              require_disk_space(dir.path(), {{"small", 1000}}, "this job");
            }),
            "no error");
  const uint64_t free = disk_space(dir.path()).free;
  const std::string message = test::error_of([&] {
    require_disk_space(dir.path(), {{"huge", free + (1ull << 30)}}, "this job");
  });
  EXPECT_EQ(message.rfind("this job needs ", 0), 0u) << message;
  EXPECT_NE(message.find(" on " + dir.path().string() + ", "), std::string::npos) << message;
  EXPECT_NE(message.find(" free"), std::string::npos) << message;
}

}  // namespace
}  // namespace attnviz
