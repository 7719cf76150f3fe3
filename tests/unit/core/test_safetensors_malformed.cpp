// Each kind of malformed file fails with its own message, naming the file (and the tensor where there is
// one).
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/safetensors.hpp"
#include "support/temp_dir.hpp"

namespace attnviz {
namespace {

std::string u64_le(uint64_t value) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &value, 8);
  return bytes;
}

// A file whose 8-byte length prefix matches the header.
std::string file_with(const std::string& header, size_t data_bytes = 0) {
  return u64_le(header.size()) + header + std::string(data_bytes, '\x01');
}

struct Malformed {
  const char* case_name;
  std::string bytes;
  const char* message;  // a distinctive part of the expected error
};

std::vector<Malformed> malformed_files() {
  const std::string valid = file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8);
  return {
      {"empty file", "", "empty file"},
      {"truncated length prefix", std::string("\x10\x00\x00", 3), "too short for the 8-byte header length"},
      {"truncated header", valid.substr(0, 30), "runs past the end of the file (30 bytes)"},
      {"header length past the file", u64_le(1000) + "{}",
       "header length 1000 runs past the end of the file"},
      {"header length over 100 MB", u64_le(200'000'000) + "{}", "exceeds the limit of 100 MB"},
      {"header length near 2^64", u64_le(~uint64_t{0}) + "{}", "exceeds the limit of 100 MB"},
      {"not JSON", file_with("not json"), "header: invalid JSON at byte 2"},
      {"trailing garbage after the JSON", file_with("{} x"), "header: invalid JSON at byte 4"},
      {"invalid UTF-8", file_with("{\"\xff\":1}"), "header: invalid JSON"},
      {"header not an object", file_with("[1,2]"), "header is not a JSON object"},
      {"duplicate key",
       file_with(
           R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
           4),
       "duplicate key \"a\""},
      {"duplicate key inside an entry",
       file_with(R"({"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", 4),
       "duplicate key \"dtype\""},
      {"entry not an object", file_with(R"({"a":[1]})"), "tensor \"a\": expected an object"},
      {"unknown dtype", file_with(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", 1),
       "tensor \"a\": unknown dtype \"Q4\""},
      {"dtype not a string", file_with(R"({"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", 4),
       "tensor \"a\": \"dtype\" must be a string"},
      {"missing data_offsets", file_with(R"({"a":{"dtype":"F32","shape":[1]}})", 4),
       "tensor \"a\": missing \"data_offsets\""},
      {"unknown field", file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", 4),
       "tensor \"a\": unknown field \"x\""},
      {"negative dimension", file_with(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
       "tensor \"a\": \"shape\" must be an array of non-negative integers"},
      {"fractional dimension", file_with(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
       "\"shape\" must be an array of non-negative integers"},
      {"shape/size mismatch", file_with(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 20),
       "tensor \"a\": shape [2,3] of F32 needs 24 bytes but data_offsets [0,20] span 20"},
      {"huge shape that overflows",
       file_with(
           R"({"a":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,4]}})",
           4),
       "tensor \"a\": shape [4611686018427387904,4611686018427387904] overflows"},
      {"itemsize overflow",
       file_with(R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})", 8),
       "tensor \"a\": shape [4611686018427387904] overflows"},
      {"offsets not two integers", file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
       "\"data_offsets\" must be [begin, end]"},
      {"offsets reversed", file_with(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})", 4),
       "tensor \"a\": data_offsets [4,0] end before they begin"},
      {"offset past the end", file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
       "tensor \"a\": data_offsets [0,8] point past the end of the data section (4 bytes)"},
      {"overlapping ranges",
       file_with(
           R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
           12),
       "tensor \"b\" bytes [4, 12) overlap tensor \"a\" bytes [0, 8)"},
      {"gap between tensors",
       file_with(
           R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})",
           20),
       "gap in the data section: bytes [8, 12) belong to no tensor (before tensor \"b\")"},
      {"gap at the start", file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
       "bytes [0, 4) belong to no tensor"},
      {"unused bytes at the end", file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 9),
       "bytes [4, 9) at its end belong to no tensor"},
      {"metadata not string to string", file_with(R"({"__metadata__":{"format":"pt","n":1}})"),
       "__metadata__ must map strings to strings, but \"n\" is a number"},
      {"metadata not an object", file_with(R"({"__metadata__":"pt"})"),
       "__metadata__ must be an object of strings"},
  };
}

TEST(SafetensorsMalformed, EachCaseHasItsOwnError) {
  for (const auto& malformed : malformed_files()) {
    SCOPED_TRACE(malformed.case_name);
    try {
      SafetensorsFile::parse(malformed.bytes, "bad.safetensors");
      ADD_FAILURE() << "accepted: " << malformed.case_name;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_TRUE(message.starts_with("bad.safetensors: ")) << message;
      EXPECT_NE(message.find(malformed.message), std::string::npos) << message;
    }
  }
}

TEST(SafetensorsMalformed, MessagesAreDistinct) {
  std::set<std::string> messages;
  for (const auto& malformed : malformed_files()) {
    try {
      SafetensorsFile::parse(malformed.bytes, "bad.safetensors");
    } catch (const Error& e) {
      EXPECT_TRUE(messages.insert(e.what()).second) << "same message twice: " << e.what();
    }
  }
}

// The memory-mapped path validates exactly as the in-memory one.
TEST(SafetensorsMalformed, MappedFilesFailTheSameWay) {
  test::TempDir dir;
  for (const auto& malformed : malformed_files()) {
    SCOPED_TRACE(malformed.case_name);
    const auto path = dir / "bad.safetensors";
    write_file_atomic(path, malformed.bytes);
    try {
      SafetensorsFile::open(path);
      ADD_FAILURE() << "accepted: " << malformed.case_name;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_TRUE(message.starts_with(path.string() + ": ")) << message;
      EXPECT_NE(message.find(malformed.message), std::string::npos) << message;
    }
  }
}

TEST(SafetensorsMalformed, MissingFileAndFolder) {
  EXPECT_THROW(
      {
        try {
          SafetensorsFile::open("/nonexistent/x.safetensors");
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(), "cannot open /nonexistent/x.safetensors: No such file or directory");
          throw;
        }
      },
      Error);
  test::TempDir dir;
  try {
    SafetensorsFile::open(dir.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

TEST(SafetensorsMalformed, EmptyHeaderIsAValidEmptyFile) {
  auto file = SafetensorsFile::parse(file_with("{}"), "empty.safetensors");
  EXPECT_TRUE(file->tensors().empty());
  EXPECT_EQ(file->find("a"), nullptr);
  try {
    file->at("a");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "empty.safetensors: no tensor \"a\"");
  }
}

}  // namespace
}  // namespace attnviz
