#pragma once
// GET /api/heads/map (docs/api.md): the heads of every served run in one map, placed by classical MDS of the
// euclidean distances between their behaviour fingerprints (layout/head_types.hpp, stored in each run's
// layouts/heads.json), which do not depend on the tokenizer: GPT-2's and BERT's heads side by side. A run
// whose heads.json is missing, stale or from before the fingerprint is listed under "skipped" with the
// reason.
#include <string>
#include <vector>

#include "server/runs.hpp"

namespace attnviz::server {

// More heads than this in all runs together: 409 (MDS is cubic in the heads; ~2 s at the cap on one core).
constexpr size_t kMaxMapHeads = 2048;

// The reply: {"runs": [{"name", "heads"}], "skipped": [{"name", "reason"}], "heads": [{"run", "layer",
// "head", "type", "map": [x, y]}, ...]} (runs in served order, heads layer-major within each). HttpError 404
// when no served run has fingerprints, 409 above kMaxMapHeads.
std::string heads_across_runs_reply(const std::vector<ServedRun>& runs);

}  // namespace attnviz::server
