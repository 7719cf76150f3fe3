#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
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

namespace {

// Polls ready() for up to kSpin: long enough to catch the next of many short loops (UMAP's epochs, a few
// milliseconds apart) without a system call, short enough not to hold a core that others need.
constexpr auto kSpin = std::chrono::microseconds(50);
template <typename Ready>
bool spin_until(const Ready& ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (int i = 1;; ++i) {
    if (ready()) return true;
#if defined(__x86_64__)
    __builtin_ia32_pause();  // the spinning core yields to its sibling hyperthread
#endif
    if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline) return ready();
  }
}

// One parallel loop: its chunks, claimed one at a time by the calling thread and by idle team workers.
// Whoever claims a chunk runs it; the caller returns once every chunk has run.
struct Loop {
  const std::function<void(int64_t)>* body = nullptr;
  int64_t n = 0, chunks = 0;
  std::atomic<int64_t> next{0}, done{0};
  std::mutex error_mutex;
  std::exception_ptr first_error;

  bool exhausted() const { return next.load(std::memory_order_relaxed) >= chunks; }

  // Runs chunks until none are left to claim.
  void run_chunks() {
    for (int64_t c = next++; c < chunks; c = next++) {
      try {
        for (int64_t i = n * c / chunks, end = n * (c + 1) / chunks; i < end; ++i) (*body)(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
      }
      if (++done == chunks) done.notify_all();
    }
  }

  void wait_done() {
    if (spin_until([&] { return done.load() >= chunks; })) return;
    for (int64_t d = done.load(); d < chunks; d = done.load()) done.wait(d);
  }
};

// Worker threads kept for the process's lifetime, so that a loop costs a wake-up instead of thread starts
// (about 60 us each on these virtual machines; UMAP runs hundreds of short loops). It grows to the most
// threads any loop has asked for. Workers take the oldest loop with chunks left; a loop whose workers are
// all busy (loops in several threads at once, or inside another loop's body) is run by its caller.
class Team {
 public:
  // At least `count` workers; the Error of start_thread when one cannot be started.
  void grow(int64_t count) {
    std::lock_guard lock(mutex_);
    while (static_cast<int64_t>(workers_.size()) < count)
      workers_.push_back(start_thread([this] { work(); }));
  }

  void post(const std::shared_ptr<Loop>& loop) {
    {
      std::lock_guard lock(mutex_);
      loops_.push_back(loop);
      ++posted_;
    }
    waiting_.notify_all();
  }

  void retire(const std::shared_ptr<Loop>& loop) {
    std::lock_guard lock(mutex_);
    std::erase(loops_, loop);
  }

 private:
  // Runs loops' chunks: the oldest loop with chunks left, else (after spinning for a new one) the next
  // posted.
  void work() {
    for (;;) {
      const uint64_t seen = posted_.load();
      std::shared_ptr<Loop> loop = next_loop(false);
      if (!loop) {
        spin_until([&] { return posted_.load() != seen; });
        loop = next_loop(true);
      }
      loop->run_chunks();
    }
  }

  // The oldest loop with chunks left; none, or (wait) the next one posted, when there is none.
  std::shared_ptr<Loop> next_loop(bool wait) {
    std::unique_lock lock(mutex_);
    const auto ready = [&] {
      while (!loops_.empty() && loops_.front()->exhausted()) loops_.pop_front();
      return !loops_.empty();
    };
    if (wait)
      waiting_.wait(lock, ready);
    else if (!ready())
      return nullptr;
    return loops_.front();
  }

  std::mutex mutex_;
  std::condition_variable waiting_;
  std::deque<std::shared_ptr<Loop>> loops_;
  std::atomic<uint64_t> posted_{0};  // loops posted so far
  std::vector<std::thread> workers_;
};

// Never destroyed: its workers wait for loops until the process ends.
Team& team() {
  static Team* const instance = new Team;
  return *instance;
}

}  // namespace

void parallel_for(int64_t n, int threads, const std::function<void(int64_t)>& body) {
  if (n <= 0) return;
  const int64_t chunks = std::min<int64_t>(threads, n);
  if (chunks <= 1) {
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
  team().grow(chunks - 1);
  const auto loop = std::make_shared<Loop>();
  loop->body = &body;
  loop->n = n;
  loop->chunks = chunks;
  team().post(loop);
  loop->run_chunks();
  team().retire(loop);
  loop->wait_done();
  if (loop->first_error) std::rethrow_exception(loop->first_error);
}

void parallel_blocks(int64_t n, int threads, const std::function<void(int64_t, int64_t, int)>& body) {
  const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>(threads, n));
  parallel_for(blocks, static_cast<int>(blocks),
               [&](int64_t t) { body(n * t / blocks, n * (t + 1) / blocks, static_cast<int>(t)); });
}

}  // namespace attnviz
