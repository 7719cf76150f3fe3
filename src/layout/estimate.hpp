#pragma once
// What `attnviz layout` will write and how much memory it will hold at its peak, known before it starts
// (docs/sizing.md): the one place where both are computed, from the run's shape and the job's files. Layout
// files are sized exactly (layout_file_bytes); metrics.json, heads.json and progress.json by per-head upper
// bounds. The memory figure is an estimate, checked against measured peak RSS by
// tests/unit/layout/test_estimate.cpp.
#include <cstdint>
#include <string>
#include <vector>

#include "core/disk.hpp"
#include "layout/layout.hpp"
#include "run/run.hpp"

namespace attnviz {

// One file the job (re)writes.
struct PlannedLayout {
  LayoutMethod method;
  int dim;
  std::string path;                 // as shown: "layouts/tsne-2d.safetensors"
  int heads_to_compute = 0;         // laid out by this job
  std::vector<HeadId> heads_after;  // every head the file holds once written (kept ones too)
};

struct LayoutEstimate {
  std::vector<PlannedFile> files;  // each layout file whole, then metrics.json, heads.json, progress.json
  // Peak resident memory = base + tables + neighbours + the largest phase:
  uint64_t base = 0;        // the process itself (kBaseBytes + per thread)
  uint64_t tables = 0;      // the run's token table
  uint64_t neighbours = 0;  // neighbour graphs kept for later phases (capped as the job caps them)
  uint64_t phase = 0;  // heads laid out at once (one per thread) plus the finished layouts of the phase's
                       // files, held until written, and their copy while written
  uint64_t memory() const { return base + tables + neighbours + phase; }
};

// files: in the job's order; PCA's files form one phase, each other file its own. heads_map: the job writes
// layouts/heads.json. threads: as the job runs (one head per thread).
LayoutEstimate estimate_layout(const Run& run, const std::vector<PlannedLayout>& files, bool heads_map,
                               int threads);

// One line for stderr: "layout: writes 2.3 MB to runs/x/layouts (tsne-2d 1.1 MB, ...); peak memory about
// ...".
std::string describe(const LayoutEstimate& estimate, const std::string& dir);

}  // namespace attnviz
