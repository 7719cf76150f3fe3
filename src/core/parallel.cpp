#include "core/parallel.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace attnviz {

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

void parallel_for(int64_t n, int threads, const std::function<void(int64_t)>& body) {
  if (n <= 0) return;
  const int64_t workers = std::min<int64_t>(threads, n);
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
  std::exception_ptr first_error;
  std::mutex error_mutex;
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers));
  for (int64_t w = 0; w < workers; ++w) {
    const int64_t begin = n * w / workers, end = n * (w + 1) / workers;
    pool.emplace_back([&, begin, end] {
      try {
        for (int64_t i = begin; i < end; ++i) body(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
      }
    });
  }
  for (auto& thread : pool) thread.join();
  if (first_error) std::rethrow_exception(first_error);
}

void parallel_blocks(int64_t n, int threads, const std::function<void(int64_t, int64_t, int)>& body) {
  const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>(threads, n));
  parallel_for(blocks, static_cast<int>(blocks),
               [&](int64_t t) { body(n * t / blocks, n * (t + 1) / blocks, static_cast<int>(t)); });
}

}  // namespace attnviz
