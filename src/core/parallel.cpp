#include "core/parallel.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace attnviz {

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

std::thread start_thread(std::function<void()> fn) {
  try {
    return std::thread(std::move(fn));
  } catch (const std::system_error& e) {
    throw Error(std::string("cannot start a thread: ") + e.code().message() +
                "; use fewer threads or raise the process limit (ulimit -u)");
  }
}

void check_threads_available(int count) {
  std::mutex mutex;
  std::condition_variable released;
  bool release = false;
  std::vector<std::thread> threads;
  std::exception_ptr error;
  for (int i = 1; i < count && !error; ++i) {
    try {
      threads.push_back(start_thread([&] {
        std::unique_lock lock(mutex);
        released.wait(lock, [&] { return release; });
      }));
    } catch (const Error&) {
      error = std::current_exception();
    }
  }
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  released.notify_all();
  for (auto& thread : threads) thread.join();
  if (error) std::rethrow_exception(error);
}

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
  const auto record_error = [&] {
    std::lock_guard lock(error_mutex);
    if (!first_error) first_error = std::current_exception();
  };
  for (int64_t w = 0; w < workers; ++w) {
    const int64_t begin = n * w / workers, end = n * (w + 1) / workers;
    try {
      pool.push_back(start_thread([&, begin, end] {
        try {
          for (int64_t i = begin; i < end; ++i) body(i);
        } catch (...) {
          record_error();
        }
      }));
    } catch (const Error&) {  // the threads started so far finish their chunks; the loop fails as a whole
      record_error();
      break;
    }
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
