#pragma once
// Per-head figures that say how far to trust a layout and what a head does, and the samples of a head they
// are computed on.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "layout/head_input.hpp"
#include "layout/knn.hpp"
#include "run/run.hpp"

namespace attnviz {

// Spearman rank correlation (Pearson correlation of ranks; ties get their average rank). 0 when either
// side is constant.
double spearman(std::span<const double> a, std::span<const double> b);

// count distinct indices of [0, n) drawn with the seed, ascending (all of them when count >= n).
std::vector<int64_t> sample_indices(int64_t n, int64_t count, unsigned seed);

// Trustworthiness (Venna & Kaski 2001; scikit-learn's definition) of output [n, out_dim] for input
// [n, in_dim]: 1 - 2 / (n k (2n - 3k - 1)) sum_i sum_{j in U_k(i)} (r(i, j) - k), where U_k(i) are the
// output k nearest neighbours of i that are not among its input k nearest and r(i, j) is j's rank by input
// distance from i. 1 means no false neighbours. Input distances in input_metric, output euclidean.
double trustworthiness(const float* input, int in_dim, const float* output, int out_dim, int64_t n, int k,
                       Metric input_metric);

// The same for several layouts of one input. Each call computes the input distances again, a block of
// kRows points at a time (a block's [kRows, n] floats per thread instead of all [n, n] at once: 36 MB at
// the metrics' 3,000 points, whose first touch cost more than the products); blocks on `threads` threads,
// and the figure does not depend on their number.
class Trustworthiness {
 public:
  Trustworthiness(const float* input, int in_dim, int64_t n, int k, Metric input_metric, int threads = 1);
  double of(const float* output, int out_dim) const;

 private:
  static constexpr int64_t kRows = 256;
  // Input distances of points [first, last) to all n, [last - first, n]: cosine distance 1 - cos, or
  // euclidean; a point's distance to itself infinite.
  void input_rows(int64_t first, int64_t last, float* out) const;

  int64_t n_;
  int in_dim_, k_, threads_;
  Metric metric_;
  std::vector<float> input_;  // [n, in_dim], rows scaled to unit length for cosine
  std::vector<float> norms_;  // per point, its squared length in input_
};

// A query token and a key token of the same input.
struct QkPair {
  int64_t query = 0, key = 0;
};

// Distance-dot correlation: for each query, Spearman between -|q_i - k_j| (points: [2N, dim], queries then
// keys, N tokens) and the attention logit q_i.k_j (dots, one per pair) over its keys; the mean over queries.
// Pairs come grouped by query (consecutive pairs with the same query form one row; rows of fewer than 3 keys
// are skipped). 1 means distance ranks every query's keys exactly as attention does.
double distance_dot_correlation(const float* points, int64_t tokens, int dim, std::span<const QkPair> pairs,
                                std::span<const double> dots);

// Attention statistics over query rows, each row a softmax over the keys it may attend to.
//  entropy:            mean over rows of -sum_j a_ij ln a_ij, in nats
//  entropy_normalised: mean over rows with 2+ keys of entropy / ln(keys), in [0, 1] (1 = uniform)
//  max_weight:         mean over rows of the largest weight (sparsity: 1 = one-hot, 1/keys = uniform)
//  first_token:        mean weight on the input's first token
//  special_tokens:     mean total weight on special tokens ([CLS], [SEP], <|endoftext|>, class token)
//  previous/same/next: mean weight on the token at relative position -1 / 0 / +1 (0 where absent)
//  positional:         the largest of previous, same, next: how much of the attention one fixed relative
//                      offset explains
struct AttentionStats {
  double entropy = 0, entropy_normalised = 0, max_weight = 0, first_token = 0, special_tokens = 0;
  double previous = 0, same = 0, next = 0, positional = 0;
  int64_t rows = 0, multi_key_rows = 0;

  // attention: [T, T] rows of one input (zeros where masked); special: [T] flags.
  void add_sequence(const float* attention, int64_t tokens, const uint8_t* special);
  void finish();  // turns the sums into means
};

// AttentionStats of one head over every input of the run (attention recomputed from q and k).
AttentionStats attention_stats(const Run& run, int layer, int head);

// The samples of one head that its figures are computed on, drawn with the seed: up to 2000 queries, each
// with every key of the same input it may attend to (at or before it when causal) and the logit q.k of the
// raw vectors; and up to 3000 of the 2N points, whose input neighbours (in `metric`) are found once.
class HeadSample {
 public:
  // threads: what its trustworthiness may use.
  HeadSample(const Run& run, const HeadInput& input, Metric metric, unsigned seed, int threads);

  // distance_dot_correlation of points [2N, dim] (the input's, raw or normalised, or a layout) over the
  // pairs.
  double correlation(const float* points, int dim) const;
  // Trustworthiness of a layout [2N, dim] over the sampled points; nullopt when there are too few of them.
  std::optional<double> trustworthiness(const float* layout, int dim) const;

 private:
  int64_t tokens_;
  std::vector<QkPair> pairs_;
  std::vector<double> dots_;
  std::vector<int64_t> points_;
  std::optional<Trustworthiness> trust_;
};

}  // namespace attnviz
