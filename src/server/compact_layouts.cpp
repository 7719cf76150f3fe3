#include "server/compact_layouts.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "server/byte_range.hpp"

namespace attnviz::server {

uint64_t compact_block_bytes(int64_t points, int dim) {
  return 2 * dim * sizeof(float) + static_cast<uint64_t>(points) * dim * sizeof(uint16_t);
}

namespace {

// Per axis, the smallest and largest finite coordinate (0 and 0 when an axis has none).
void finite_box(const std::vector<float>& coords, int dim, std::vector<float>& min, std::vector<float>& max) {
  min.assign(dim, std::numeric_limits<float>::infinity());
  max.assign(dim, -std::numeric_limits<float>::infinity());
  for (size_t i = 0; i < coords.size(); ++i) {
    const float v = coords[i];
    if (!std::isfinite(v)) continue;
    const size_t d = i % dim;
    min[d] = std::min(min[d], v);
    max[d] = std::max(max[d], v);
  }
  for (int d = 0; d < dim; ++d) {
    if (min[d] > max[d]) min[d] = max[d] = 0.0f;
  }
}

// The code of `v` in [min, max]: the nearest of the 65536 steps, clamped; NaN is the minimum.
uint16_t quantise(float v, float min, float max) {
  const double span = double(max) - double(min);
  if (!(span > 0) || std::isnan(v)) return 0;
  const double step = std::round((double(v) - double(min)) / span * kCompactSteps);
  return static_cast<uint16_t>(std::clamp(step, 0.0, kCompactSteps));
}

}  // namespace

std::string encode_compact_block(std::span<const std::byte> bytes, int dim) {
  std::vector<float> coords(bytes.size() / sizeof(float));
  std::memcpy(coords.data(), bytes.data(), coords.size() * sizeof(float));
  std::vector<float> min, max;
  finite_box(coords, dim, min, max);
  std::vector<uint16_t> codes(coords.size());
  for (size_t i = 0; i < coords.size(); ++i) codes[i] = quantise(coords[i], min[i % dim], max[i % dim]);
  std::string block(compact_block_bytes(static_cast<int64_t>(coords.size() / dim), dim), '\0');
  char* out = block.data();
  std::memcpy(out, min.data(), dim * sizeof(float));
  std::memcpy(out + dim * sizeof(float), max.data(), dim * sizeof(float));
  std::memcpy(out + 2 * dim * sizeof(float), codes.data(), codes.size() * sizeof(uint16_t));
  return block;
}

void reply_compact_layouts(const httplib::Request& req, httplib::Response& res,
                           std::shared_ptr<const LayoutFile> file, int heads_per_layer, int total_heads,
                           int64_t points, int dim) {
  const uint64_t block_bytes = compact_block_bytes(points, dim);
  // The block being sent: a response writes its blocks in order, so each is encoded once.
  struct Current {
    int head = -1;
    std::string block;
  };
  auto current = std::make_shared<Current>();
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Attnviz-Encoding", "u16");
  res.set_header("X-Attnviz-Shape",
                 std::to_string(total_heads) + "," + std::to_string(points) + "," + std::to_string(dim));
  reply_blocks(req, res, total_heads, block_bytes,
               [file, current, heads_per_layer, dim](int head) -> std::string_view {
                 if (current->head != head) {
                   current->block = encode_compact_block(
                       file->points_bytes(head / heads_per_layer, head % heads_per_layer), dim);
                   current->head = head;
                 }
                 return current->block;
               });
}

}  // namespace attnviz::server
