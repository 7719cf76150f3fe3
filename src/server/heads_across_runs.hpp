#pragma once
// GET /api/heads/map (docs/api.md): the heads of every served run in one map, placed by classical MDS of the
// euclidean distances between their behaviour fingerprints (layout/head_types.hpp, stored in each run's
// layouts/heads.json), which do not depend on the tokenizer: GPT-2's and BERT's heads side by side. A run
// whose heads.json is missing, stale or from before the fingerprint is listed under "skipped" with the
// reason. The map is computed once and kept until one of the runs' heads.json changes (file_cache.hpp's
// stamp: inode, mtime, size), since the MDS is cubic in the heads.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/file_cache.hpp"
#include "server/runs.hpp"

namespace attnviz::server {

// More heads than this in all runs together: 409 (MDS is cubic in the heads; ~2 s at the cap on one core).
constexpr size_t kMaxMapHeads = 2048;

class HeadsAcrossRuns {
 public:
  explicit HeadsAcrossRuns(std::vector<ServedRun> runs);

  // The reply: {"runs": [{"name", "heads"}], "skipped": [{"name", "reason"}], "heads": [{"run", "layer",
  // "head", "type", "map": [x, y]}, ...]} (runs in served order, heads layer-major within each). HttpError
  // 404 when no served run has fingerprints, 409 above kMaxMapHeads, 500 (one line) for any other failure.
  std::shared_ptr<const std::string> reply();

  // How many times the map has been computed (the tests' view of the cache).
  int computed() const;

 private:
  // The reply or the HttpError it was, for one version of every run's heads.json.
  struct Outcome {
    std::vector<std::optional<FileStamp>> stamps;
    std::shared_ptr<const std::string> reply;
    int status = 0;  // when reply is null
    std::string error;
  };
  Outcome compute(std::vector<std::optional<FileStamp>> stamps) const;

  std::vector<ServedRun> runs_;
  mutable std::mutex mutex_;  // held while computing: requests at once wait for one computation
  std::optional<Outcome> cached_;
  int computed_ = 0;
};

}  // namespace attnviz::server
