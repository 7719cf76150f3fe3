#pragma once
// A plain parallel loop: the work is split into one contiguous chunk per thread, run by the calling thread
// and a team of worker threads that lives as long as the process.
#include <cstdint>
#include <functional>
#include <thread>

namespace attnviz {

// The number of hardware threads, at least 1.
int default_threads();

// A thread running fn; Error "cannot start a thread: <reason>; ..." when the system refuses one (the process
// limit, ulimit -u, is the usual cause) instead of std::system_error.
std::thread start_thread(std::function<void()> fn);

// Starts count - 1 threads beside the calling one, all alive at once, and ends them: the Error of
// start_thread now, before a library that cannot report it is asked for that many (OpenBLAS raises SIGINT
// when it cannot start its threads).
void check_threads_available(int count);

// Calls body(i) for every i in [0, n), split into `threads` contiguous chunks (inline when threads <= 1),
// each run by one thread, on up to `threads` threads at once. If bodies throw, the first exception is
// rethrown after every chunk has run. The Error of start_thread when the team cannot grow to threads - 1
// workers (before any chunk runs). Bodies must not wait for each other: chunks may run one after another.
void parallel_for(int64_t n, int threads, const std::function<void(int64_t)>& body);

// Calls body(first, last, thread) once per thread with its contiguous block [first, last) of [0, n), for
// loops whose per-item work is too small for a call each; `thread` indexes per-thread scratch. At most n
// blocks; the split depends only on n and threads.
void parallel_blocks(int64_t n, int threads, const std::function<void(int64_t, int64_t, int)>& body);

}  // namespace attnviz
