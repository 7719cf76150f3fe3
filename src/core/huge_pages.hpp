#pragma once
// Large scratch buffers backed by transparent huge pages: a buffer of tens of megabytes filled once (the
// metrics' blocks of input distances, the kNN's blocks of distance rows) otherwise takes one page fault per
// 4 KiB, a tenth of a one-head layout command's CPU time in a virtual machine (docs/benchmarks.md, UMAP).
#include <cstddef>
#include <vector>

namespace attnviz {

// Advises the kernel to back the whole 2 MiB pages inside [p, p + bytes) with huge pages when first touched.
// Advice only: nothing happens where transparent huge pages are off or the range holds no whole huge page.
void advise_huge_pages(void* p, size_t bytes);

// A vector of n zeros whose storage was advised before the zeros were written (see advise_huge_pages).
template <typename T>
std::vector<T> huge_page_vector(size_t n) {
  std::vector<T> v;
  v.reserve(n);
  advise_huge_pages(v.data(), n * sizeof(T));
  v.resize(n);
  return v;
}

}  // namespace attnviz
