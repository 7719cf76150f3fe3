#pragma once
// The layout engine parallelises over its own threads; OpenBLAS threads on top would oversubscribe the
// cores, so BLAS runs single-threaded while any layout code uses it, and gets its previous setting back when
// the last user leaves (heads are laid out concurrently, so the guard counts its holders).
#include <cblas.h>

#include <mutex>

namespace attnviz {

class SingleThreadedBlas {
 public:
  SingleThreadedBlas() {
    std::lock_guard lock(state().mutex);
    if (state().holders++ == 0) {
      state().previous = openblas_get_num_threads();
      openblas_set_num_threads(1);
    }
  }
  ~SingleThreadedBlas() {
    std::lock_guard lock(state().mutex);
    if (--state().holders == 0) openblas_set_num_threads(state().previous);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  struct State {
    std::mutex mutex;
    int holders = 0, previous = 1;
  };
  static State& state() {
    static State s;
    return s;
  }
};

}  // namespace attnviz
