#pragma once
// `attnviz layout`: every requested layout of every requested head of a run, written into RUN/layouts/.
//
// Output: the layout files (layout_file.hpp), layouts/metrics.json (per-head figures, see metrics.hpp),
// layouts/heads.json (the heads map of every head, heads_file.hpp; rewritten when stale, or forced over every
// head) and layouts/progress.json ({"tsne-2d": {"done": n, "total": m}, ...}, rewritten at most once a
// second) so a running server can show partial results. Files are written whole (temporary name, then
// rename), in this order: PCA 2D and 3D (fast), then t-SNE 2D and UMAP 2D, then t-SNE 3D and UMAP 3D; each
// phase processes heads in parallel, one head per thread, so memory holds only the heads being laid out plus
// finished layouts. Heads already in a file are skipped unless force; new heads are merged into existing
// files.
//
// Sharded (options.shard, layout_shards.hpp): the job lays out only the shard's heads and writes them, its
// progress and its record into RUN/layouts/shards/ instead; then, when every shard of the count has
// finished, it merges them into the run's files (whichever shard finishes last does).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "layout/layout.hpp"
#include "layout/layout_shards.hpp"
#include "layout/normalise.hpp"

namespace attnviz {

// The most memory the job's cache of kNN graphs (shared by a head's methods and dimensions) may hold.
constexpr size_t kNeighbourCacheBytes = size_t(512) << 20;

struct LayoutJobOptions {
  std::filesystem::path run_dir;
  std::vector<LayoutMethod> methods = {LayoutMethod::TSNE, LayoutMethod::UMAP, LayoutMethod::PCA};
  std::vector<int> dims = {2, 3};
  std::vector<HeadId> heads;  // empty: all heads; a head given twice is laid out once
  unsigned seed = 42;
  int threads = 0;  // 0: all hardware threads
  bool force = false;
  NormaliseOptions normalise;
  Metric metric = Metric::Cosine;
  Shard shard;                // lay out only this shard's heads (count 1: all of them)
  bool merge_shards = true;   // sharded: merge every shard into the run's files once all have finished
  bool show_progress = true;  // a progress bar on stderr
  // Called after every finished head of a file ("tsne-2d", heads done, heads requested); from worker threads.
  std::function<void(const std::string& file, int done, int total)> on_progress;
};

struct LayoutJobResult {
  std::vector<std::string> written;  // files (re)written, e.g. "tsne-2d"
  int heads_computed = 0, heads_skipped = 0;
  ShardMerge merge;              // sharded: the merge tried after the shard finished
  double heads_map_seconds = 0;  // computing and writing layouts/heads.json (0 when it was up to date)
};

// Validates everything (run, methods, dims, heads) before writing anything.
LayoutJobResult run_layout_job(const LayoutJobOptions& options);

}  // namespace attnviz
