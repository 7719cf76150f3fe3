// Range requests (issue 11, item 1): every range is bounded by the body it asks of; one range → 206,
// several → one covering range, none satisfiable → 416, nonsense → the whole body. A server that read past
// its buffers, or died, on such requests is what these tests keep from coming back.
#include <fstream>

#include "server/byte_range.hpp"
#include "server_fixture.hpp"

namespace attnviz::test {
namespace {

using server::RangeAnswer;
using server::resolve_range;

void expect_partial(const std::string& header, uint64_t size, uint64_t offset, uint64_t length) {
  const RangeAnswer answer = resolve_range(header, size);
  EXPECT_EQ(answer.kind, RangeAnswer::Partial) << header;
  EXPECT_EQ(answer.offset, offset) << header;
  EXPECT_EQ(answer.length, length) << header;
}

TEST(ResolveRange, SingleRangesAreClampedToTheBody) {
  expect_partial("bytes=0-99", 1000, 0, 100);
  expect_partial("bytes=0-60000", 3751, 0, 3751);  // the probe: never more than the body
  expect_partial("bytes=500-", 1000, 500, 500);
  expect_partial("bytes=-100", 1000, 900, 100);
  expect_partial("bytes=-5000", 1000, 0, 1000);
  expect_partial("bytes=999-999", 1000, 999, 1);
  expect_partial("BYTES = 2-3", 1000, 2, 2);
  expect_partial("bytes=7-99999999999999999999999999", 10, 7, 3);  // digits beyond 64 bits saturate
}

TEST(ResolveRange, SeveralRangesCollapseIntoOne) {
  expect_partial("bytes=0-9,20-29", 100, 0, 30);
  expect_partial("bytes=50-, 0-0", 100, 0, 100);
  expect_partial("bytes=-10,500-600", 100, 90, 10);  // the unsatisfiable one is dropped
  std::string many = "bytes=0-";
  for (int i = 0; i < 400; ++i) many += ",0-";
  expect_partial(many, 3751, 0, 3751);  // 400 whole-file ranges: one body, not 400
}

TEST(ResolveRange, UnsatisfiableRanges) {
  for (const char* header :
       {"bytes=1000-", "bytes=1000000000000000-1000000000000010", "bytes=-0", "bytes=1000-2000,5000-"}) {
    EXPECT_EQ(resolve_range(header, 1000).kind, RangeAnswer::Unsatisfiable) << header;
  }
}

TEST(ResolveRange, NonsenseMeansTheWholeBody) {
  for (const char* header : {"", "bytes", "bytes=", "bytes=,", "items=0-5", "bytes=5-2", "bytes=a-b",
                             "bytes=0-1,x", "bytes=--5", "bytes=0--5", "bytes=1 2-3", "bytes=+1-2"}) {
    EXPECT_EQ(resolve_range(header, 1000).kind, RangeAnswer::Whole) << header;
  }
  EXPECT_EQ(resolve_range("bytes=0-5", 0).kind, RangeAnswer::Whole) << "an empty body has no ranges";
}

class Ranges : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    for (int i = 0; i < 3751; ++i) index += static_cast<char>('a' + i % 26);
    std::ofstream(web.path() / "index.html", std::ios::binary) << index;
  }
  httplib::Result get_range(const std::string& path, const std::string& range) {
    auto result = client->Get(path.c_str(), {{"Range", range}});
    EXPECT_TRUE(result) << "no response for " << path << " with Range: " << range;
    return result;
  }
  std::string index;
};

TEST_F(Ranges, StaticFilesAnswerRangesWithinTheFile) {
  auto part = get_range("/", "bytes=0-60000");
  ASSERT_EQ(part->status, 206);
  EXPECT_EQ(part->body, index) << "bytes past the file's end are never sent";
  EXPECT_EQ(part->get_header_value("Content-Range"), "bytes 0-3750/3751");
  EXPECT_EQ(part->get_header_value("Accept-Ranges"), "bytes");

  part = get_range("/", "bytes=100-109");
  ASSERT_EQ(part->status, 206);
  EXPECT_EQ(part->body, index.substr(100, 10));
  EXPECT_EQ(part->get_header_value("Content-Range"), "bytes 100-109/3751");
  EXPECT_EQ(get_range("/", "bytes=-26")->body, index.substr(3751 - 26));

  std::string many = "bytes=0-";
  for (int i = 0; i < 400; ++i) many += ",0-";
  part = get_range("/", many);
  ASSERT_EQ(part->status, 206);
  EXPECT_EQ(part->body, index) << "400 ranges are one answer of the file's size";
  EXPECT_EQ(part->get_header_value("Content-Type"), "text/html; charset=utf-8") << "never multipart";

  auto beyond = get_range("/", "bytes=5000-6000");
  EXPECT_EQ(beyond->status, 416);
  EXPECT_EQ(beyond->get_header_value("Content-Range"), "bytes */3751");
  // httplib refuses a header it cannot parse (another unit, a reversed range) before any route: 416, empty.
  for (const char* header : {"pages=1-2", "bytes=9-2", "bytes=0-1,5-2"}) {
    auto refused = get_range("/", header);
    EXPECT_EQ(refused->status, 416) << header;
    EXPECT_LE(refused->body.size(), 200u) << header << ": " << refused->body;
    EXPECT_EQ(refused->body.find(index.substr(0, 20)), std::string::npos) << "no bytes of the file";
  }
  auto conditional = client->Get("/", {{"Range", "bytes=0-9"}, {"If-Range", "\"x\""}});
  EXPECT_EQ(conditional->status, 200) << "nothing here has validators: If-Range never matches";
  EXPECT_EQ(conditional->body, index);
}

TEST_F(Ranges, TheAllHeadsLayoutAnswersRangesAndSurvivesHugeOffsets) {
  std::vector<std::pair<int, int>> heads;
  for (int layer = 0; layer < TestRun::kLayers; ++layer)
    for (int head = 0; head < TestRun::kHeads; ++head) heads.emplace_back(layer, head);
  write_layouts(run, "pca-2d", 2, heads, 1.0f);
  auto whole = get("/api/layouts/pca/2");
  ASSERT_EQ(whole->status, 200);
  const size_t size = whole->body.size();
  ASSERT_EQ(size, heads.size() * 2 * run.n * 2 * sizeof(float));

  auto huge = get_range("/api/layouts/pca/2", "bytes=1000000000000000-1000000000000010");
  EXPECT_EQ(huge->status, 416) << "used to index far past the heads and kill the server";
  EXPECT_EQ(huge->get_header_value("Content-Range"), "bytes */" + std::to_string(size));
  // A range across a head boundary, and the tail.
  const size_t head_bytes = size / heads.size();
  auto across = get_range("/api/layouts/pca/2",
                          "bytes=" + std::to_string(head_bytes - 6) + "-" + std::to_string(head_bytes + 9));
  ASSERT_EQ(across->status, 206);
  EXPECT_EQ(across->body, whole->body.substr(head_bytes - 6, 16));
  auto tail = get_range("/api/layouts/pca/2", "bytes=" + std::to_string(size - 4) + "-99999999999");
  ASSERT_EQ(tail->status, 206);
  EXPECT_EQ(tail->body, whole->body.substr(size - 4));
  EXPECT_EQ(get("/api/run")->status, 200) << "the server is alive";
}

TEST_F(Ranges, OtherRoutesIgnoreRanges) {
  auto tokens = get_range("/api/tokens", "bytes=0-3");
  EXPECT_EQ(tokens->status, 200);
  EXPECT_EQ(tokens->body, get("/api/tokens")->body);
  std::string many = "bytes=0-";
  for (int i = 0; i < 400; ++i) many += ",0-";
  auto attention = get_range("/api/attention/0/0/0", many);
  EXPECT_EQ(attention->status, 200);
  EXPECT_EQ(attention->body.size(), 6u * 6u * sizeof(float));
}

}  // namespace
}  // namespace attnviz::test
