#pragma once
// A probe's points placed in the stored layouts of a run (layout/place.hpp), head by head: its queries and
// keys go through the head's stored normalisation, then PCA's stored projection, or t-SNE's / UMAP's
// transform against the fixed dataset points. What does not change between probes is built once per head and
// kept, up to a memory bound, for later probes: its search index (its normalised dataset points) and its
// stored t-SNE layouts' repulsion fields.
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "layout/layout.hpp"
#include "layout/layout_file.hpp"
#include "layout/place.hpp"
#include "server/build_once.hpp"
#include "server/probes.hpp"
#include "server/stored_layouts.hpp"

namespace attnviz::server {

// Search indices and fields kept at once, in bytes (brown-gpt: 48 heads of 2 x 20k x 64 floats would be
// 490 MiB; a 2D field is at most 256^2 x 3 floats, 0.75 MiB).
constexpr size_t kMaxPlaceIndexBytes = size_t{256} << 20;

class ProbeLayouts {
 public:
  ProbeLayouts(std::shared_ptr<const Run> run, StoredLayouts& stored);

  // The probe's 2T points in head (layer, head)'s stored layout: [2T, dim], queries then keys. HttpError 409
  // when the head is not laid out on disk, or its file predates the stored normalisation (or PCA axes).
  std::vector<float> place(const Probe& probe, LayoutMethod method, int dim, int layer, int head,
                           Metric metric);

  // How many search indices and t-SNE fields have been built (the tests' view of the cache).
  int indices_built() const { return indices_built_; }
  int fields_built() const { return fields_built_; }

 private:
  // What one head keeps between probes: its search index, and the field of its t-SNE layout of each
  // dimension (with the file it was made from: a replaced file makes it stale). Each is built once however
  // many probes ask for it at the same time (the others wait for that build).
  struct HeadCache {
    struct Field {
      std::shared_ptr<BuildOnce<TsneField>> once;
      std::weak_ptr<const LayoutFile> file;
    };
    BuildOnce<PlaceIndex> index;
    Field field[2];  // 2D, 3D
    size_t bytes() const;
  };
  using Key = std::tuple<int, int, int, float>;  // layer, head, metric, the normalisation's scale

  std::shared_ptr<HeadCache> cached(const Key& key);  // made (empty) when absent; most recent first
  void evict();
  std::shared_ptr<const PlaceIndex> index(int layer, int head, const HeadLayout& stored, Metric metric);
  std::shared_ptr<const TsneField> field(const Key& key, const std::shared_ptr<const LayoutFile>& file,
                                         const HeadLayout& stored, int dim);

  std::shared_ptr<const Run> run_;
  StoredLayouts& stored_;
  std::mutex mutex_;  // the list of heads only, never held while building
  std::list<std::pair<Key, std::shared_ptr<HeadCache>>> heads_;  // most recent first
  std::atomic<int> indices_built_ = 0, fields_built_ = 0;
};

}  // namespace attnviz::server
