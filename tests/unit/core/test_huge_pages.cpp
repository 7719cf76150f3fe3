// huge_page_vector: the advice changes how the storage is backed, never what it holds.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/huge_pages.hpp"

namespace attnviz {
namespace {

TEST(HugePages, VectorsHoldZerosAtAnySize) {
  for (size_t n :
       {size_t(0), size_t(1), size_t(1000), size_t(3) << 20}) {  // none, part of, several huge pages
    std::vector<float> v = huge_page_vector<float>(n);
    ASSERT_EQ(v.size(), n);
    EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](float x) { return x == 0.0f; }));
    std::fill(v.begin(), v.end(), 1.5f);  // writable throughout
    if (n > 0) {
      EXPECT_EQ(v.back(), 1.5f);
    }
  }
}

TEST(HugePages, AdviceOnAnyRangeIsHarmless) {
  std::vector<char> small(100, 'x');
  advise_huge_pages(small.data(), small.size());  // no whole huge page inside: nothing to advise
  advise_huge_pages(nullptr, 0);
  EXPECT_EQ(small[99], 'x');
}

}  // namespace
}  // namespace attnviz
