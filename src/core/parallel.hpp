#pragma once
// A plain parallel loop over std::thread: the work is split into one contiguous chunk per thread.
#include <cstdint>
#include <functional>

namespace attnviz {

// The number of hardware threads, at least 1.
int default_threads();

// Calls body(i) for every i in [0, n), split into `threads` contiguous chunks (inline when threads <= 1).
// If bodies throw, the first exception is rethrown after all threads have joined.
void parallel_for(int64_t n, int threads, const std::function<void(int64_t)>& body);

}  // namespace attnviz
