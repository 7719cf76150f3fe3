#include "layout/estimate.hpp"

#include <algorithm>

#include "layout/head_input.hpp"
#include "layout/heads_file.hpp"
#include "layout/layout_file.hpp"
#include "layout/layout_job.hpp"
#include "run/estimate.hpp"

namespace attnviz {

namespace {

// Measured on this project's builds (docs/sizing.md): the process before any head (code, libraries, the run
// opened), each further thread, and the FFT grids and plans one t-SNE head keeps (2D: up to 96 boxes of 3
// nodes, padded; 3D: up to 13).
constexpr uint64_t kBaseBytes = uint64_t(40) << 20;
constexpr uint64_t kThreadBytes = uint64_t(2) << 20;
constexpr uint64_t kFftBytes = uint64_t(24) << 20;
// JSON upper bound per head of metrics.json's figures (~40 numbers and names). (heads.json's: its writer's,
// heads_file_bytes; the token table: run/estimate.hpp.)
constexpr uint64_t kMetricsBytesPerHead = 4000;

// One head's working set while it is laid out with `method`: its vectors read and normalised (raw, points and
// the rows read), then for t-SNE and UMAP the neighbour index (HNSW: the points and ~32 links each) and
// graph, the affinities (symmetrised: twice the graph), the embedding with its gradient, gains and update.
uint64_t head_bytes(const Run& run, LayoutMethod method, int dim) {
  const uint64_t n = 2 * static_cast<uint64_t>(run.num_tokens()), hd = run.model().head_dim, f32 = 4;
  uint64_t bytes = 3 * n * hd * f32 + n * dim * f32;
  if (method == LayoutMethod::PCA) return bytes + hd * hd * f32;
  const uint64_t k = static_cast<uint64_t>(layout_neighbours_needed(static_cast<int64_t>(n), true));
  bytes += n * (hd * f32 + 256) + 3 * n * k * 8 + 4 * n * dim * f32;
  return method == LayoutMethod::TSNE ? bytes + kFftBytes : bytes;
}

}  // namespace

LayoutEstimate estimate_layout(const Run& run, const std::vector<PlannedLayout>& files, bool heads_map,
                               int threads) {
  LayoutEstimate e;
  const uint64_t heads = static_cast<uint64_t>(run.model().num_layers) * run.model().num_heads;
  for (const PlannedLayout& f : files)
    e.files.push_back({f.path, layout_file_bytes(run, f.method, f.dim, f.heads_after)});
  e.files.push_back({"layouts/metrics.json", 200 + kMetricsBytesPerHead * heads});
  if (heads_map) e.files.push_back({"layouts/heads.json", heads_file_bytes(run)});
  e.files.push_back({"layouts/progress.json", 100 + 60 * files.size()});

  threads = std::max(threads, 1);
  const uint64_t n = 2 * static_cast<uint64_t>(run.num_tokens());
  e.base = kBaseBytes + kThreadBytes * static_cast<uint64_t>(threads);
  e.tables = kTableBytesPerToken * static_cast<uint64_t>(run.num_tokens());
  // Phases: PCA's files together, then one per other file (layout_job.cpp).
  int most_heads = 0, neighbour_phases = 0;
  uint64_t pca_held = 0, pca_head = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const PlannedLayout& f = files[i];
    const uint64_t held = 2 * e.files[i].bytes;
    if (f.method == LayoutMethod::PCA) {
      pca_held += held;
      pca_head = std::max(pca_head, head_bytes(run, f.method, f.dim));
      most_heads = std::max(most_heads, f.heads_to_compute);
      continue;
    }
    const uint64_t outer = std::min<uint64_t>(threads, std::max(f.heads_to_compute, 1));
    e.phase = std::max(e.phase, outer * head_bytes(run, f.method, f.dim) + held);
    most_heads = std::max(most_heads, f.heads_to_compute);
    ++neighbour_phases;
  }
  if (pca_held)
    e.phase = std::max(e.phase, std::min<uint64_t>(threads, std::max(most_heads, 1)) * pca_head + pca_held);
  if (neighbour_phases > 1) {
    const uint64_t k = static_cast<uint64_t>(layout_neighbours_needed(static_cast<int64_t>(n), true));
    e.neighbours = std::min(kNeighbourCacheBytes, static_cast<uint64_t>(most_heads) * n * k * 8);
  }
  return e;
}

std::string describe(const LayoutEstimate& e, const std::string& dir) {
  return "layout: writes up to " + size_text(total_bytes(e.files)) + " in " + dir + " (" +
         files_text(e.files) + "); peak memory about " + size_text(e.memory()) +
         " (heads at once and their layouts " + size_text(e.phase) + ", kept neighbours " +
         size_text(e.neighbours) + ")";
}

}  // namespace attnviz
