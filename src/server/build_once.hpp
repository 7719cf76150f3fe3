#pragma once
// One value that several threads may ask for at the same time (a head's search index for probes placed at
// once): the first caller builds it, the others wait for that build instead of making their own. A build
// that throws is forgotten, so a later caller tries again; the callers that waited on it get its exception.
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>

namespace attnviz::server {

template <class T>
class BuildOnce {
 public:
  using Value = std::shared_ptr<const T>;

  // The value, built by `build` unless it has been built or is being built (then this waits for it).
  Value get(const std::function<Value()>& build) {
    std::promise<Value> promise;
    std::shared_future<Value> pending;
    bool builder = false;
    {
      std::lock_guard lock(mutex_);
      if (!future_.valid()) {
        future_ = promise.get_future().share();
        builder = true;
      }
      pending = future_;
    }
    if (!builder) return pending.get();
    try {
      promise.set_value(build());
    } catch (...) {
      promise.set_exception(std::current_exception());
      std::lock_guard lock(mutex_);
      future_ = {};
      throw;
    }
    return pending.get();
  }

  // The value when it has been built, else nullptr; never waits.
  Value ready() const {
    std::lock_guard lock(mutex_);
    if (!future_.valid() || future_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      return nullptr;
    try {
      return future_.get();
    } catch (...) {
      return nullptr;
    }
  }

 private:
  mutable std::mutex mutex_;
  std::shared_future<Value> future_;  // invalid until a build starts
};

}  // namespace attnviz::server
