#include "layout/metrics.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "core/error.hpp"
#include "core/huge_pages.hpp"
#include "core/parallel.hpp"
#include "layout/blas_threads.hpp"
#include "layout/nearest_selector.hpp"

namespace attnviz {

namespace {

constexpr int kTrustworthinessK = 10;
constexpr int64_t kTrustworthinessSample = 3000;
constexpr int64_t kCorrelationQueries = 2000;

// For up to kCorrelationQueries queries drawn with the seed, every key of the same input it may attend to
// (at or before it when causal), grouped by query.
std::vector<QkPair> sample_pairs(const Run& run, unsigned seed) {
  std::vector<QkPair> pairs;
  const auto& seq = run.tokens().sequence;
  for (int64_t q : sample_indices(run.num_tokens(), kCorrelationQueries, seed)) {
    const RunSequence& s = run.sequences()[seq[q]];
    const int64_t end = run.model().causal ? q + 1 : s.first_token + s.token_count;
    for (int64_t k = s.first_token; k < end; ++k) pairs.push_back({q, k});
  }
  return pairs;
}

// Rows `indices` of points [n, dim], one after another.
std::vector<float> rows(const float* points, int dim, const std::vector<int64_t>& indices) {
  std::vector<float> out;
  out.reserve(indices.size() * static_cast<size_t>(dim));
  for (int64_t i : indices) out.insert(out.end(), points + i * dim, points + (i + 1) * dim);
  return out;
}

std::vector<double> ranks(std::span<const double> v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double average = 0.5 * double(i + j);
    for (size_t t = i; t <= j; ++t) r[order[t]] = average;
    i = j + 1;
  }
  return r;
}

}  // namespace

double spearman(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size()) throw Error("spearman: sizes differ");
  if (a.size() < 2) return 0;
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double mean = 0.5 * double(a.size() - 1);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

std::vector<int64_t> sample_indices(int64_t n, int64_t count, unsigned seed) {
  std::vector<int64_t> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  if (count >= n) return all;
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < count; ++i) {  // partial Fisher-Yates
    const int64_t j = i + static_cast<int64_t>(rng() % static_cast<uint64_t>(n - i));
    std::swap(all[i], all[j]);
  }
  all.resize(static_cast<size_t>(count));
  std::sort(all.begin(), all.end());
  return all;
}

Trustworthiness::Trustworthiness(const float* input, int in_dim, int64_t n, int k, Metric input_metric,
                                 int threads)
    : n_(n), in_dim_(in_dim), k_(k), threads_(threads), metric_(input_metric) {
  if (n < 3 * k + 2) throw Error("trustworthiness: need at least 3k + 2 points");
  input_ = input_metric == Metric::Cosine ? unit_rows(input, n, in_dim)
                                          : std::vector<float>(input, input + n * in_dim);
  norms_ = squared_norms(input_.data(), n, in_dim);
}

void Trustworthiness::input_rows(int64_t first, int64_t last, float* out) const {
  const int64_t n = n_;
  const float* x = input_.data();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(last - first), static_cast<int>(n),
              in_dim_, 1.0f, x + first * in_dim_, in_dim_, x, in_dim_, 0.0f, out, static_cast<int>(n));
  for (int64_t i = first; i < last; ++i) {
    float* row = out + (i - first) * n;
    for (int64_t j = 0; j < n; ++j) {
      const float sq = std::max(0.0f, norms_[i] + norms_[j] - 2 * row[j]);
      row[j] = metric_ == Metric::Cosine ? 0.5f * sq : std::sqrt(sq);
    }
    row[i] = INFINITY;  // a point is not its own neighbour
  }
}

double Trustworthiness::of(const float* output, int out_dim) const {
  const int64_t n = n_;
  const int k = k_;
  const int64_t blocks = (n + kRows - 1) / kRows;
  SingleThreadedBlas single_blas;
  std::vector<int64_t> penalty(static_cast<size_t>(n), 0);  // per point: exact, so any split sums the same
  parallel_blocks(blocks, threads_, [&](int64_t first_block, int64_t last_block, int) {
    NearestSelector nearest(k);
    std::vector<float> input_block = huge_page_vector<float>(static_cast<size_t>(kRows * n));
    std::vector<float> row_out(static_cast<size_t>(n)), dist(static_cast<size_t>(k));
    std::vector<int32_t> neighbours(static_cast<size_t>(k));
    for (int64_t block = first_block; block < last_block; ++block) {
      const int64_t first = block * kRows, last = std::min(n, first + kRows);
      input_rows(first, last, input_block.data());
      for (int64_t i = first; i < last; ++i) {
        const float* row_in = &input_block[(i - first) * n];
        nearest.select(row_in, n, dist.data(), neighbours.data());
        const float kth_input_distance = dist[k - 1];
        // Output neighbours by squared euclidean distance, computed directly (no cancellation at small
        // spreads).
        for (int64_t j = 0; j < n; ++j) {
          float d2 = 0;
          for (int c = 0; c < out_dim; ++c)
            d2 += (output[i * out_dim + c] - output[j * out_dim + c]) *
                  (output[i * out_dim + c] - output[j * out_dim + c]);
          row_out[j] = d2;
        }
        row_out[i] = INFINITY;
        nearest.select(row_out.data(), n, dist.data(), neighbours.data());
        for (int32_t j : neighbours) {
          if (row_in[j] <= kth_input_distance) continue;  // among i's k nearest in input space: no penalty
          int64_t closer = 0;  // other points strictly closer to i in input space; the rank is 1 + closer
          for (int64_t l = 0; l < n; ++l) closer += row_in[l] < row_in[j] ? 1 : 0;
          penalty[i] += std::max<int64_t>(0, closer + 1 - k);
        }
      }
    }
  });
  const double total = static_cast<double>(std::accumulate(penalty.begin(), penalty.end(), int64_t{0}));
  return 1.0 - 2.0 / (double(n) * k * (2.0 * n - 3.0 * k - 1.0)) * total;
}

double trustworthiness(const float* input, int in_dim, const float* output, int out_dim, int64_t n, int k,
                       Metric input_metric) {
  return Trustworthiness(input, in_dim, n, k, input_metric).of(output, out_dim);
}

double distance_dot_correlation(const float* points, int64_t tokens, int dim, std::span<const QkPair> pairs,
                                std::span<const double> dots) {
  std::vector<double> closeness(pairs.size());
  for (size_t p = 0; p < pairs.size(); ++p) {
    const float* q = points + pairs[p].query * dim;
    const float* k = points + (tokens + pairs[p].key) * dim;
    double s = 0;
    for (int c = 0; c < dim; ++c) s += double(q[c] - k[c]) * (q[c] - k[c]);
    closeness[p] = -std::sqrt(s);
  }
  double total = 0;
  int64_t rows = 0;
  for (size_t first = 0; first < pairs.size();) {
    size_t last = first;
    while (last < pairs.size() && pairs[last].query == pairs[first].query) ++last;
    if (last - first >= 3) {
      total += spearman(std::span(closeness).subspan(first, last - first), dots.subspan(first, last - first));
      ++rows;
    }
    first = last;
  }
  return rows > 0 ? total / double(rows) : 0.0;
}

void AttentionStats::add_sequence(const float* attention, int64_t tokens, const uint8_t* special) {
  for (int64_t i = 0; i < tokens; ++i) {
    const float* row = attention + i * tokens;
    double h = 0, top = 0, on_special = 0;
    int64_t keys = 0;
    for (int64_t j = 0; j < tokens; ++j) {
      const double a = row[j];
      if (a <= 0) continue;
      ++keys;
      h -= a * std::log(a);
      top = std::max(top, a);
      if (special[j]) on_special += a;
    }
    entropy += h;
    if (keys > 1) {
      entropy_normalised += h / std::log(double(keys));
      ++multi_key_rows;
    }
    max_weight += top;
    first_token += row[0];
    special_tokens += on_special;
    if (i > 0) previous += row[i - 1];
    same += row[i];
    if (i + 1 < tokens) next += row[i + 1];
    ++rows;
  }
}

void AttentionStats::finish() {
  const double r = rows > 0 ? double(rows) : 1.0;
  entropy /= r;
  max_weight /= r;
  first_token /= r;
  special_tokens /= r;
  previous /= r;
  same /= r;
  next /= r;
  entropy_normalised /= multi_key_rows > 0 ? double(multi_key_rows) : 1.0;
  positional = std::max({previous, same, next});
}

AttentionStats attention_stats(const Run& run, int layer, int head) {
  AttentionStats stats;
  const auto& special = run.tokens().special;
  for (size_t s = 0; s < run.sequences().size(); ++s) {
    const RunSequence& seq = run.sequences()[s];
    const std::vector<float> a = run.attention(layer, head, static_cast<int>(s));
    std::vector<uint8_t> flags(static_cast<size_t>(seq.token_count), 0);
    if (special.size() == static_cast<size_t>(run.num_tokens()))
      std::copy_n(special.begin() + seq.first_token, seq.token_count, flags.begin());
    stats.add_sequence(a.data(), seq.token_count, flags.data());
  }
  stats.finish();
  return stats;
}

HeadSample::HeadSample(const Run& run, const HeadInput& input, Metric metric, unsigned seed, int threads)
    : tokens_(input.tokens), pairs_(sample_pairs(run, seed)), dots_(pairs_.size()) {
  for (size_t p = 0; p < pairs_.size(); ++p) {
    const float* q = &input.raw[pairs_[p].query * input.dim];
    const float* k = &input.raw[(input.tokens + pairs_[p].key) * input.dim];
    double s = 0;
    for (int c = 0; c < input.dim; ++c) s += double(q[c]) * k[c];
    dots_[p] = s;
  }
  points_ = sample_indices(2 * input.tokens, kTrustworthinessSample, seed);
  if (static_cast<int64_t>(points_.size()) >= 3 * kTrustworthinessK + 2)
    trust_.emplace(rows(input.points.data(), input.dim, points_).data(), input.dim,
                   static_cast<int64_t>(points_.size()), kTrustworthinessK, metric, threads);
}

double HeadSample::correlation(const float* points, int dim) const {
  return distance_dot_correlation(points, tokens_, dim, pairs_, dots_);
}

std::optional<double> HeadSample::trustworthiness(const float* layout, int dim) const {
  if (!trust_) return std::nullopt;
  return trust_->of(rows(layout, dim, points_).data(), dim);
}

}  // namespace attnviz
