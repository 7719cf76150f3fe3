// The compact encoding of /api/layouts (?encoding=u16, docs/api.md): each head's points as 16-bit fixed
// point in its own box, decoded within half a step of the float32 layout; its bad inputs answered 400/404.
#include <cmath>
#include <cstring>
#include <limits>

#include "server/compact_layouts.hpp"
#include "server_fixture.hpp"

namespace attnviz::test {
namespace {

using server::compact_block_bytes;
using server::encode_compact_block;

// One decoded block: its box and its coordinates as the page computes them.
struct Decoded {
  std::vector<float> min, max, coords;
};

Decoded decode(const char* block, int64_t points, int dim) {
  Decoded d{std::vector<float>(dim), std::vector<float>(dim), {}};
  std::memcpy(d.min.data(), block, dim * sizeof(float));
  std::memcpy(d.max.data(), block + dim * sizeof(float), dim * sizeof(float));
  std::vector<uint16_t> codes(static_cast<size_t>(points * dim));
  std::memcpy(codes.data(), block + 2 * dim * sizeof(float), codes.size() * sizeof(uint16_t));
  for (size_t i = 0; i < codes.size(); ++i) {
    const double span = double(d.max[i % dim]) - d.min[i % dim];
    d.coords.push_back(static_cast<float>(d.min[i % dim] + codes[i] * span / server::kCompactSteps));
  }
  return d;
}

std::string encode(const std::vector<float>& coords, int dim) {
  return encode_compact_block(std::as_bytes(std::span<const float>(coords)), dim);
}

TEST(CompactBlock, DecodesWithinHalfAStepAndKeepsTheBoxCorners) {
  std::vector<float> coords;
  for (int i = 0; i < 1000; ++i) {
    coords.push_back(std::sin(i * 0.37f) * 1e4f);
    coords.push_back(-3.0f + std::cos(i * 1.1f) * 1e-3f);
  }
  const std::string block = encode(coords, 2);
  ASSERT_EQ(block.size(), compact_block_bytes(1000, 2));
  EXPECT_EQ(block.size(), 16u + 4u * 1000u) << "4 bytes a 2D point";
  const Decoded d = decode(block.data(), 1000, 2);
  for (size_t i = 0; i < coords.size(); ++i) {
    const double step = (double(d.max[i % 2]) - d.min[i % 2]) / server::kCompactSteps;
    EXPECT_LE(std::abs(double(d.coords[i]) - coords[i]), step / 2 + 1e-6 * std::abs(coords[i])) << i;
  }
  EXPECT_EQ(*std::min_element(d.coords.begin(), d.coords.end()), d.min[0]);
}

TEST(CompactBlock, ConstantAxesAndNonFiniteCoordinatesStayInTheBox) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> coords = {5, 1, 5, 3, 5, inf, 5, -inf, 5, nan, 5, 3};
  const Decoded d = decode(encode(coords, 2).data(), 6, 2);
  EXPECT_EQ(d.min[0], 5.0f);
  EXPECT_EQ(d.max[0], 5.0f);
  EXPECT_EQ(d.min[1], 1.0f) << "the box spans the finite coordinates";
  EXPECT_EQ(d.max[1], 3.0f);
  const std::vector<float> expected = {5, 1, 5, 3, 5, 3, 5, 1, 5, 1, 5, 3};
  EXPECT_EQ(d.coords, expected);
  const Decoded none = decode(encode({nan, inf, nan, -inf}, 2).data(), 2, 2);
  EXPECT_EQ(none.coords, std::vector<float>(4, 0.0f)) << "no finite coordinate: the box is [0, 0]";
}

using CompactLayouts = ServerTest;

std::vector<std::pair<int, int>> every_head() {
  std::vector<std::pair<int, int>> heads;
  for (int layer = 0; layer < TestRun::kLayers; ++layer) {
    for (int head = 0; head < TestRun::kHeads; ++head) heads.emplace_back(layer, head);
  }
  return heads;
}

TEST_F(CompactLayouts, EveryHeadDecodesToItsFloat32LayoutWithinHalfAStep) {
  for (int dim : {2, 3}) {
    const std::string name = "pca-" + std::to_string(dim) + "d";
    write_layouts(run, name, dim, every_head(), 7.0f);
    const std::string route = "/api/layouts/pca/" + std::to_string(dim);
    const std::vector<float> exact = floats(get(route));
    auto result = get(route + "?encoding=u16");
    ASSERT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(result->get_header_value("X-Attnviz-Encoding"), "u16");
    const int64_t points = 2 * run.n, heads = TestRun::kLayers * TestRun::kHeads;
    EXPECT_EQ(result->get_header_value("X-Attnviz-Shape"),
              std::to_string(heads) + "," + std::to_string(points) + "," + std::to_string(dim));
    const uint64_t block = compact_block_bytes(points, dim);
    ASSERT_EQ(result->body.size(), heads * block);
    for (int64_t h = 0; h < heads; ++h) {
      const Decoded d = decode(result->body.data() + h * block, points, dim);
      for (int64_t i = 0; i < points * dim; ++i) {
        const float want = exact[h * points * dim + i];
        const double step = (double(d.max[i % dim]) - d.min[i % dim]) / server::kCompactSteps;
        ASSERT_LE(std::abs(double(d.coords[i]) - want), step / 2 + 1e-6 * std::abs(want))
            << "head " << h << " coordinate " << i;
      }
    }
    // A range of the body is those bytes of it (a range may start inside a head's block).
    httplib::Headers range = {
        {"Range", "bytes=" + std::to_string(block + 5) + "-" + std::to_string(3 * block)}};
    auto part = client->Get((route + "?encoding=u16").c_str(), range);
    ASSERT_EQ(part->status, 206);
    EXPECT_EQ(part->body, result->body.substr(block + 5, 2 * block - 4));
  }
}

TEST_F(CompactLayouts, BadEncodingsAre400AndMissingLayoutsAre404) {
  write_layouts(run, "pca-2d", 2, every_head(), 0.0f);
  EXPECT_NE(expect_error("/api/layouts/pca/2?encoding=f16", 400).find("no encoding"), std::string::npos);
  expect_error("/api/layouts/pca/2?encoding=", 400);
  EXPECT_NE(expect_error("/api/layouts/pca/2?encoding=u16&encoding=f32", 400).find("2 times"),
            std::string::npos);
  EXPECT_EQ(get("/api/layouts/pca/2?encoding=f32")->body, get("/api/layouts/pca/2")->body);
  EXPECT_NE(expect_error("/api/layouts/pca/3?encoding=u16", 404).find("not ready"), std::string::npos);
  expect_error("/api/layouts/foo/2?encoding=u16", 404);
  expect_error("/api/layouts/pca/4?encoding=u16", 404);
  expect_error("/api/layouts/pca?encoding=u16", 400);
}

}  // namespace
}  // namespace attnviz::test
