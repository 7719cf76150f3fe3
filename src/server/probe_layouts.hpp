#pragma once
// A probe's points placed in the stored layouts of a run (layout/place.hpp), head by head: its queries and
// keys go through the head's stored normalisation, then PCA's stored projection, or t-SNE's / UMAP's
// transform against the fixed dataset points. Each head's search index (its normalised dataset points) is
// built once and kept, up to a memory bound, for later probes.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "layout/layout.hpp"
#include "layout/place.hpp"
#include "server/probes.hpp"
#include "server/stored_layouts.hpp"

namespace attnviz::server {

// Search indices kept at once, in bytes (brown-gpt: 48 heads of 2 x 20k x 64 floats would be 490 MiB).
constexpr size_t kMaxPlaceIndexBytes = size_t{256} << 20;

class ProbeLayouts {
 public:
  ProbeLayouts(std::shared_ptr<const Run> run, StoredLayouts& stored);

  // The probe's 2T points in head (layer, head)'s stored layout: [2T, dim], queries then keys. HttpError 409
  // when the head is not laid out on disk, or its file predates the stored normalisation (or PCA axes).
  std::vector<float> place(const Probe& probe, LayoutMethod method, int dim, int layer, int head,
                           Metric metric);

 private:
  std::shared_ptr<const PlaceIndex> index(int layer, int head, const HeadLayout& stored, Metric metric);

  std::shared_ptr<const Run> run_;
  StoredLayouts& stored_;
  std::mutex mutex_;                             // the index cache only
  using Key = std::tuple<int, int, int, float>;  // layer, head, metric, the normalisation's scale
  std::list<std::pair<Key, std::shared_ptr<const PlaceIndex>>> indices_;  // most recent first
};

}  // namespace attnviz::server
