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

// ‖v‖ of the N value vectors one head averages (its key head's under grouped-query attention): [N]. The run
// must hold values (Run::has_values).
std::vector<float> head_value_norms(const Run& run, int layer, int head);

// Attention weighted by value norm (Kobayashi et al. 2020): α_ij·‖v_j‖, renormalised so each query's row sums
// to 1. attention [T, T] row-major, value_norms [T]; a row whose weights are all 0 stays 0.
std::vector<float> value_norm_weighted(std::span<const float> attention, std::span<const float> value_norms);

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
