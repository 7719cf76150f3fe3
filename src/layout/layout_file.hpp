#pragma once
// The layout files of a run (docs/format.md, "layouts/"), their one home: names, reading, validation and
// writing. RUN/layouts/{method}-{dim}d.safetensors holds, for every head laid out so far, tensor l{L}.h{H}:
// F32 [2N, dim], the N queries' points then the N keys', in token order. `attnviz layout` writes them, the
// server reads them while they are being written (every file is replaced whole).
//
// One policy for every reader: a head counts when each of its tensors has the dtype and shape this run needs.
// A file that is not valid safetensors, or a head tensor that does not fit (a file laid out for another run),
// is described in LayoutFile::problem(); the heads that do fit are still read. Readers never use a head that
// does not fit: `attnviz layout` lays it out again and rewrites the file without it. Other tensors are
// ignored and not rewritten.
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/safetensors.hpp"
#include "layout/layout.hpp"
#include "run/run.hpp"

namespace attnviz {

// "tsne-2d": how progress.json and metrics.json name the file.
std::string layout_file_name(LayoutMethod method, int dim);
// RUN/layouts/{method}-{dim}d.safetensors
std::filesystem::path layout_file_path(const std::filesystem::path& run_dir, LayoutMethod method, int dim);
// "l{L}.h{H}": a head's tensor in a layout file, and its key in metrics.json.
std::string head_tensor_name(int layer, int head);

// One head's tensors as float32. A new per-head tensor is a field here and a row of the table in the .cpp.
// All but points are optional (files written before attnviz stored them lack them): empty when absent. They
// let a new input be placed in the layout (layout/place.hpp).
struct HeadLayout {
  std::vector<float> points;   // [2N, dim]: queries, then keys
  std::vector<float> scale{};  // l{L}.h{H}.scale [1]: the normalisation's s (queries / s, keys * s + shift)
  std::vector<float> shift{};  // l{L}.h{H}.shift [head_dim]: its c
  std::vector<float> mean{};   // l{L}.h{H}.mean [head_dim]: PCA files: the normalised points' mean
  std::vector<float> components{};  // l{L}.h{H}.components [dim, head_dim]: PCA files: the axes, unit rows
};

// A layout file as read for one run and dimension.
class LayoutFile {
 public:
  // Never throws for what the file holds (see problem()); an absent file has no heads and no problem.
  static LayoutFile read(const Run& run, const std::filesystem::path& path, int dim);

  bool exists() const { return exists_; }
  // Empty when every head tensor fits the run; else one line naming the file and what does not fit.
  const std::string& problem() const { return problem_; }
  int heads_ready() const { return ready_; }
  bool has(int layer, int head) const { return !tensors_[index(layer, head)].empty(); }
  std::vector<HeadId> heads() const;  // the heads that fit, by layer then head
  // Little-endian F32 [2N, dim] inside the file read; empty when the head is absent or does not fit.
  std::span<const std::byte> points_bytes(int layer, int head) const;
  HeadLayout head(int layer,
                  int head) const;  // a copy (optional tensors empty when absent); Error when absent

 private:
  size_t index(int layer, int head) const;  // Error when out of the run's range

  std::shared_ptr<const SafetensorsFile> file_;  // owns the tensors' bytes
  int layers_ = 0, heads_per_layer_ = 0, ready_ = 0;
  bool exists_ = false;
  std::string problem_;
  std::vector<std::vector<const TensorView*>>
      tensors_;  // [layer * heads + head]: one per head tensor, or none
};

// The size in bytes of (method, dim)'s file holding exactly `heads`, each with every tensor the layout job
// writes (PCA: points, scale, shift, mean, components; others: points, scale, shift). Exact for a file the
// job writes; an upper bound where heads kept from an older file lack optional tensors.
uint64_t layout_file_bytes(const Run& run, LayoutMethod method, int dim, const std::vector<HeadId>& heads);

// Writes (method, dim)'s file for the run: the heads in `computed` and the ones of the existing file that fit
// and are not among them, by layer then head, with the header metadata {"format": "attnviz-layout", "method",
// "dim", "tokens"}. Written whole under a temporary name, then renamed.
void write_layout_file(const Run& run, LayoutMethod method, int dim,
                       const std::map<HeadId, HeadLayout>& computed);
// The same, at another path (a shard's file, layout_shards.hpp), merged with the file already there.
void write_layout_file(const Run& run, const std::filesystem::path& path, LayoutMethod method, int dim,
                       const std::map<HeadId, HeadLayout>& computed);

}  // namespace attnviz
