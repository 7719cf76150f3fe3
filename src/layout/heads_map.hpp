#pragma once
// The map of a run's heads: per head its type scores (head_types.hpp), its attention mass by relative
// offset and its place on a 2D map; for every pair of heads the Jensen-Shannon divergence of their attention
// (head_similarity.hpp); an order that puts similar heads side by side. Computed on a fixed sample of the
// run (below), so its cost is bounded however large the run. Its file, layouts/heads.json, is heads_file.hpp.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "layout/head_types.hpp"
#include "run/run.hpp"

namespace attnviz {

// The sample the map is computed on: whole inputs in a seeded random order until they hold this many
// tokens (every input of a smaller run); the divergences average over this many of their queries.
constexpr int64_t kHeadsSampleTokens = 16384;
constexpr int64_t kHeadsSampleQueries = 512;

struct HeadSummary {
  int layer = 0, head = 0;
  HeadScores scores;
  std::optional<HeadType> type;
  std::array<double, 2> map = {0, 0};
  std::array<double, 2 * kMaxOffset + 1> offsets = {};  // mean attention at offset -8..+8 (0: not visible)
  Fingerprint fingerprint = {};                         // head_types.hpp
};

struct HeadsMap {
  std::vector<HeadSummary> heads;  // layer-major
  std::vector<double> divergence;  // [H, H] over heads in the same order, nats
  std::vector<int> order;          // indices into heads, similar ones adjacent
  unsigned seed = 0;
  int64_t sample_sequences = 0, sample_tokens = 0, sample_queries = 0;
};

// threads: 0 for every core. Induction scores come from the run (manifest "induction"), null when absent.
HeadsMap compute_heads_map(const Run& run, unsigned seed, int threads);

}  // namespace attnviz
