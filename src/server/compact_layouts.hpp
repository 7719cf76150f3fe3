#pragma once
// The compact encoding of every head's layout for the matrix view (GET /api/layouts/{method}/{dim}
// ?encoding=u16, docs/api.md): each head quantised to 16-bit fixed point in its own bounding box, so a 2D
// point travels in 4 bytes instead of 8. Its one home: the block layout, the quantisation and the reply.
//
// Body: one block per head, layer-major then head; a block is
//   float32 min[dim], float32 max[dim], uint16 code[2N × dim]   (little-endian; 8·dim + 4·N·dim bytes)
// and a coordinate is min + code · (max − min) / 65535 (within half a step, (max − min) / 131070, of the
// float32 it encodes). Every block is a multiple of 4 bytes, so each one's floats and codes are aligned.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <httplib.h>

#include "layout/layout_file.hpp"

namespace attnviz::server {

inline constexpr double kCompactSteps = 65535.0;

// Bytes of one head's block for `points` points of `dim` coordinates.
uint64_t compact_block_bytes(int64_t points, int dim);

// One head's block from its float32 coordinates [points × dim] (little-endian bytes, as a layout file holds
// them). The box spans the finite coordinates; a non-finite one (attnviz never writes one) is clamped into it
// (NaN to its minimum).
std::string encode_compact_block(std::span<const std::byte> coords, int dim);

// Answers with every head of `file` (all present: the caller checked) as blocks, streamed one head at a time
// (one head's block in memory per response), honouring Range as every offset-built reply does.
void reply_compact_layouts(const httplib::Request& req, httplib::Response& res,
                           std::shared_ptr<const LayoutFile> file, int heads_per_layer, int total_heads,
                           int64_t points, int dim);

}  // namespace attnviz::server
