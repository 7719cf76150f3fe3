#include "server/computed_layouts.hpp"

#include <chrono>

#include "core/parallel.hpp"

namespace attnviz::server {

ComputedLayouts::ComputedLayouts(std::shared_ptr<const Run> run, size_t budget_bytes)
    : run_(std::move(run)), budget_bytes_(budget_bytes) {}

ComputedLayouts::Layout ComputedLayouts::get(const LayoutRequest& request) {
  Key key{request.method, request.dim, request.layer, request.head};
  std::promise<Layout> promise;
  std::shared_future<Layout> pending;
  bool owner = false;
  {
    std::lock_guard lock(mutex_);
    auto [entry, inserted] = entries_.try_emplace(key);
    if (inserted) entry->second = promise.get_future().share();
    pending = entry->second;
    owner = inserted;
  }
  if (!owner) return pending.get();  // waits for the computation in flight; rethrows its error
  Layout layout;
  try {
    layout = compute(request);
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard lock(mutex_);
    entries_.erase(key);  // a later request tries again
    throw;
  }
  promise.set_value(layout);
  keep(key, layout->size() * sizeof(float));
  return layout;
}

ComputedLayouts::Layout ComputedLayouts::find(const LayoutRequest& request) {
  std::shared_future<Layout> pending;
  {
    std::lock_guard lock(mutex_);
    auto entry = entries_.find(Key{request.method, request.dim, request.layer, request.head});
    if (entry == entries_.end()) return nullptr;
    pending = entry->second;
  }
  if (pending.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return nullptr;
  try {
    return pending.get();
  } catch (...) {  // a computation that failed: as if there were none
    return nullptr;
  }
}

ComputedLayouts::Layout ComputedLayouts::compute(const LayoutRequest& request) {
  std::lock_guard lock(compute_mutex_);
  LayoutRequest full = request;
  full.threads = default_threads();
  ++computations_;
  return std::make_shared<const std::vector<float>>(compute_head_layout(*run_, full));
}

void ComputedLayouts::keep(const Key& key, size_t bytes) {
  std::lock_guard lock(mutex_);
  finished_.emplace_back(key, bytes);
  kept_bytes_ += bytes;
  while (kept_bytes_ > budget_bytes_ && finished_.size() > 1) {
    entries_.erase(finished_.front().first);
    kept_bytes_ -= finished_.front().second;
    finished_.pop_front();
  }
}

}  // namespace attnviz::server
