#pragma once
// Selection of the k nearest in a row of distances: the kNN graph and trustworthiness use it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace attnviz {

// The k smallest (distance, index) pairs of a row of distances. The scan starts from a threshold read off
// a sample of the row (a few times more than k of the row should lie below it); candidates strictly below
// the threshold are appended without branching, and when the buffer fills it is cut back to the k smallest
// and the threshold tightens to the k-th. If fewer than k fell below the sampled threshold, the row is
// scanned again without one. Ties keep the lower index: a later candidate equal to the threshold never
// enters, and the final order is by (distance, index).
class NearestSelector {
 public:
  explicit NearestSelector(int k) : k_(k), buffer_(static_cast<size_t>(kCapacityFactor * k + kBlock)) {}

  // row: n > k distances (a point is kept out of its own row by an infinite distance). Writes the k
  // nearest, nearest first, to dist[k] and idx[k].
  void select(const float* row, int64_t n, float* dist, int32_t* idx) {
    select_by([row](int64_t j) { return row[j]; }, n, dist, idx);
  }

  // The same over distances computed as they are scanned: distance(j) for j in [0, n), a cheap inlinable
  // function (e.g. from a row of dot products), which saves writing them to a row first.
  template <class Distance>
  void select_by(Distance distance, int64_t n, float* dist, int32_t* idx) {
    size_t count = scan(distance, n, sampled_threshold(distance, n));
    if (count < static_cast<size_t>(k_)) count = scan(distance, n, INFINITY);
    const auto kth = buffer_.begin() + k_;
    std::partial_sort(buffer_.begin(), kth, buffer_.begin() + static_cast<int64_t>(count));
    for (int j = 0; j < k_; ++j) {
      dist[j] = buffer_[j].first;
      idx[j] = buffer_[j].second;
    }
  }

 private:
  static constexpr int kCapacityFactor = 8, kBlock = 16, kSample = 512, kMargin = 4;

  // A distance with about kMargin x k of the row below it: an order statistic of every stride-th distance.
  template <class Distance>
  float sampled_threshold(Distance distance, int64_t n) {
    const int64_t stride = n / kSample;
    if (stride < 2) return INFINITY;
    sample_.clear();
    for (int64_t j = 0; j < n; j += stride) sample_.push_back(distance(j));
    const int64_t rank =
        std::min<int64_t>(static_cast<int64_t>(sample_.size()) - 1, kMargin * k_ / stride + kMargin);
    std::nth_element(sample_.begin(), sample_.begin() + rank, sample_.end());
    return sample_[rank];
  }

  // Appends the candidates below the threshold (tightening it as the buffer fills); returns their count.
  template <class Distance>
  size_t scan(Distance distance, int64_t n, float threshold) {
    size_t count = 0;
    for (int64_t block = 0; block < n; block += kBlock) {
      const int64_t end = std::min(n, block + kBlock);
      int hits = 0;  // most blocks have none: one vectorised test skips them
      for (int64_t j = block; j < end; ++j) hits += distance(j) < threshold ? 1 : 0;
      if (hits == 0) continue;
      if (count + kBlock > buffer_.size()) count = cut(count, threshold);
      for (int64_t j = block; j < end; ++j) {
        const float d = distance(j);
        buffer_[count] = {d, static_cast<int32_t>(j)};
        count += d < threshold ? 1 : 0;
      }
    }
    return count;
  }

  // Keeps the k smallest of the buffer; returns the new count and sets the threshold to the k-th distance.
  size_t cut(size_t count, float& threshold) {
    const auto kth = buffer_.begin() + k_ - 1;
    std::nth_element(buffer_.begin(), kth, buffer_.begin() + static_cast<int64_t>(count));
    threshold = kth->first;
    return static_cast<size_t>(k_);
  }

  int k_;
  std::vector<std::pair<float, int32_t>> buffer_;
  std::vector<float> sample_;
};

}  // namespace attnviz
