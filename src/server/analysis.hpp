#pragma once
// Figures the API derives from a run's vectors and tokens.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "run/run.hpp"

namespace attnviz::server {

// Euclidean norm of each row of a row-major [rows, cols] matrix.
std::vector<float> row_norms(std::span<const float> matrix, int64_t cols);

// |q| of one head's N queries, then |k| of its N keys (its key head under grouped-query attention).
std::vector<float> head_norms(const Run& run, int layer, int head);

// Attention weight by relative position (key position − query position), averaged over every query of the
// dataset that has a key at that offset; offsets run from −R to R, R = longest sequence − 1. Masked pairs
// (keys after the query in causal models) count as weight 0.
struct RelativeAttention {
  std::vector<int> offsets;
  std::vector<double> mean;
};
RelativeAttention relative_attention(const Run& run, int layer, int head);

// What search compares: the token's display string without surrounding whitespace, lowercased (Unicode).
std::string search_key(std::string_view token);

}  // namespace attnviz::server
