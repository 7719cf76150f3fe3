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

// Calls body(first, last, thread) once per thread with its contiguous block [first, last) of [0, n), for
// loops whose per-item work is too small for a call each; `thread` indexes per-thread scratch. At most n
// blocks; the split depends only on n and threads.
void parallel_blocks(int64_t n, int threads, const std::function<void(int64_t, int64_t, int)>& body);

}  // namespace attnviz
