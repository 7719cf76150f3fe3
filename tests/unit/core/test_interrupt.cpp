// The signal guards of long jobs (core/interrupt.hpp): a mapped file truncated underneath a job ends it with
// one line and exit status 1, not with SIGBUS.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>

#include "core/interrupt.hpp"
#include "support/temp_dir.hpp"

namespace attnviz::test {
namespace {

// Maps a 64 KiB file, truncates it to nothing and reads the mapping: what extract meets when its checkpoint
// is cut while it runs.
void read_a_truncated_mapping(const std::filesystem::path& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  constexpr size_t kBytes = 64 << 10;
  if (fd < 0 || ftruncate(fd, kBytes) != 0) _exit(3);
  void* mapped = mmap(nullptr, kBytes, PROT_READ, MAP_SHARED, fd, 0);
  if (mapped == MAP_FAILED || ftruncate(fd, 0) != 0) _exit(3);
  volatile unsigned char byte = static_cast<const unsigned char*>(mapped)[kBytes / 2];
  (void)byte;
  _exit(0);  // not reached: the read faults
}

TEST(MappedFileGuard, ATruncatedMappingEndsTheJobWithOneLineAndStatus1) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir temp;
  const std::filesystem::path path = temp / "checkpoint.safetensors";
  EXPECT_EXIT(
      {
        install_mapped_file_guard("the model's checkpoint");
        read_a_truncated_mapping(path);
      },
      ::testing::ExitedWithCode(1),
      "^error: the model's checkpoint changed \\(truncated or replaced\\) while attnviz read it; nothing was "
      "kept\n$");
}

}  // namespace
}  // namespace attnviz::test
