#pragma once
// The layout engine parallelises over its own threads; OpenBLAS threads on top would oversubscribe the
// cores, so BLAS runs single-threaded inside layout code and gets its previous setting back afterwards.
#include <cblas.h>

namespace attnviz {

class SingleThreadedBlas {
 public:
  SingleThreadedBlas() : previous_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
  ~SingleThreadedBlas() { openblas_set_num_threads(previous_); }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_;
};

}  // namespace attnviz
