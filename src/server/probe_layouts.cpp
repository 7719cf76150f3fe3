#include "server/probe_layouts.hpp"

#include <cmath>

#include "layout/head_input.hpp"
#include "layout/layout_file.hpp"
#include "layout/normalise.hpp"
#include "layout/tsne.hpp"
#include "layout/umap.hpp"
#include "server/http_util.hpp"

namespace attnviz::server {

namespace {

// The probe's queries and keys of one head, [2T, head_dim], normalised as the head's layout was.
std::vector<float> probe_points(const Run& run, const Probe& probe, int layer, int head,
                                const HeadLayout& stored) {
  const RunModel& m = run.model();
  const int t = probe.tokens_count(), d = m.head_dim;
  const LayerCapture& c = probe.layers[layer];
  std::vector<float> x(static_cast<size_t>(2 * t * d));
  std::copy_n(c.q.begin() + int64_t(head) * t * d, t * d, x.begin());
  std::copy_n(c.k.begin() + int64_t(m.kv_head_for(head)) * t * d, t * d, x.begin() + t * d);
  apply_normalisation(std::span<float>(x.data(), t * d), std::span<float>(x.data() + t * d, t * d), d,
                      stored.scale[0], stored.shift);
  return x;
}

}  // namespace

ProbeLayouts::ProbeLayouts(std::shared_ptr<const Run> run, StoredLayouts& stored)
    : run_(std::move(run)), stored_(stored) {}

size_t ProbeLayouts::HeadCache::bytes() const {
  const auto built = index.ready();
  size_t total = built ? built->bytes() : 0;
  for (const Field& f : field)
    if (const auto made = f.once ? f.once->ready() : nullptr) total += made->bytes();
  return total;
}

// Callers hold mutex_.
std::shared_ptr<ProbeLayouts::HeadCache> ProbeLayouts::cached(const Key& key) {
  for (auto it = heads_.begin(); it != heads_.end(); ++it)
    if (it->first == key) {
      heads_.splice(heads_.begin(), heads_, it);
      return it->second;
    }
  heads_.emplace_front(key, std::make_shared<HeadCache>());
  return heads_.front().second;
}

// Callers hold mutex_. Drops the least recent heads beyond kMaxPlaceIndexBytes (never the most recent).
void ProbeLayouts::evict() {
  size_t bytes = 0;
  for (auto it = heads_.begin(); it != heads_.end();) {
    bytes += it->second->bytes();
    it = bytes > kMaxPlaceIndexBytes && it != heads_.begin() ? heads_.erase(it) : std::next(it);
  }
}

std::shared_ptr<const PlaceIndex> ProbeLayouts::index(int layer, int head, const HeadLayout& stored,
                                                      Metric metric) {
  std::shared_ptr<HeadCache> entry;
  {
    std::lock_guard lock(mutex_);
    entry = cached({layer, head, static_cast<int>(metric), stored.scale[0]});
  }
  auto found = entry->index.get([&] {
    // The dataset's points normalised with the stored scale and shift: the points the layout was made from.
    const RunModel& m = run_->model();
    std::vector<float> q = run_->queries(layer, head), k = run_->keys(layer, m.kv_head_for(head));
    apply_normalisation(q, k, m.head_dim, stored.scale[0], stored.shift);
    q.insert(q.end(), k.begin(), k.end());
    ++indices_built_;
    return std::make_shared<const PlaceIndex>(q.data(), 2 * run_->num_tokens(), m.head_dim, metric);
  });
  std::lock_guard lock(mutex_);
  evict();
  return found;
}

std::shared_ptr<const TsneField> ProbeLayouts::field(const Key& key,
                                                     const std::shared_ptr<const LayoutFile>& file,
                                                     const HeadLayout& stored, int dim) {
  std::shared_ptr<BuildOnce<TsneField>> once;
  {
    std::lock_guard lock(mutex_);
    HeadCache::Field& f = cached(key)->field[dim - 2];
    if (!f.once || f.file.lock() != file) {
      f.once = std::make_shared<BuildOnce<TsneField>>();
      f.file = file;
    }
    once = f.once;
  }
  auto built = once->get([&] {
    ++fields_built_;
    return std::make_shared<const TsneField>(stored.points.data(),
                                             static_cast<int64_t>(stored.points.size()) / dim, dim);
  });
  std::lock_guard lock(mutex_);
  evict();
  return built;
}

std::vector<float> ProbeLayouts::place(const Probe& probe, LayoutMethod method, int dim, int layer, int head,
                                       Metric metric) {
  const auto file = stored_.file(method, dim);
  const std::string name = layout_file_name(method, dim);
  if (!file || !file->has(layer, head))
    throw HttpError(409, "head " + std::to_string(layer) + ":" + std::to_string(head) + " has no stored " +
                             name + " layout to place a probe in; run attnviz layout");
  const HeadLayout stored = file->head(layer, head);
  if (stored.scale.empty() || (method == LayoutMethod::PCA && stored.components.empty()))
    throw HttpError(
        409, "the " + name + " layout of head " + std::to_string(layer) + ":" + std::to_string(head) +
                 " was made before attnviz stored what placing a probe needs; rerun attnviz layout --force");
  const std::vector<float> x = probe_points(*run_, probe, layer, head, stored);
  const int64_t m = static_cast<int64_t>(x.size()) / run_->model().head_dim;
  const int d = run_->model().head_dim;
  if (method == LayoutMethod::PCA) return place_pca(x.data(), m, d, stored.mean, stored.components);
  const auto found = index(layer, head, stored, metric);
  const int64_t n = found->size();
  if (method == LayoutMethod::TSNE) {
    // The perplexity layout_points used for a head of n points.
    PlaceTsneOptions o;
    o.perplexity = std::min(o.perplexity, std::max(2.0, layout_neighbours_needed(n, true) / 3.0));
    o.squared_distances = metric == Metric::Euclidean;
    const int k = static_cast<int>(std::min<int64_t>(n, static_cast<int64_t>(std::ceil(3 * o.perplexity))));
    const Key key{layer, head, static_cast<int>(metric), stored.scale[0]};
    return place_tsne(found->nearest(x.data(), m, k), stored.points.data(), n, *field(key, file, stored, dim),
                      o);
  }
  const int k = static_cast<int>(std::min<int64_t>(n, UmapOptions{}.neighbors));
  return place_umap(found->nearest(x.data(), m, k), stored.points.data(), n, dim, {});
}

}  // namespace attnviz::server
