#pragma once
// Layouts of single heads computed on request when they are not on disk yet. Identical concurrent requests
// share one computation; computations run one at a time, each on every core; results stay in memory up to a
// byte budget (oldest dropped first).
#include <atomic>
#include <cstddef>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "layout/layout.hpp"
#include "run/run.hpp"

namespace attnviz::server {

class ComputedLayouts {
 public:
  using Layout = std::shared_ptr<const std::vector<float>>;

  explicit ComputedLayouts(std::shared_ptr<const Run> run, size_t budget_bytes = size_t{1} << 30);

  // [2N, dim] float32 for request.method, dim, layer and head (its other fields are ignored).
  Layout get(const LayoutRequest& request);
  // The same when it has been computed already and is still kept; nullptr otherwise (never computes).
  Layout find(const LayoutRequest& request);

  int64_t computations() const { return computations_; }  // how many were run, for tests

 private:
  using Key = std::tuple<LayoutMethod, int, int, int>;  // method, dim, layer, head
  Layout compute(const LayoutRequest& request);
  void keep(const Key& key, size_t bytes);

  std::shared_ptr<const Run> run_;
  size_t budget_bytes_, kept_bytes_ = 0;
  std::mutex mutex_;
  std::map<Key, std::shared_future<Layout>> entries_;
  std::deque<std::pair<Key, size_t>> finished_;  // oldest first
  std::mutex compute_mutex_;
  std::atomic<int64_t> computations_ = 0;
};

}  // namespace attnviz::server
