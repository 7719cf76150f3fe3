#include "layout/tsne.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/parallel.hpp"
#include "layout/fft_repulsion.hpp"
#include "layout/pca.hpp"

namespace attnviz {

namespace {

// The attraction sum_j p_ij (y_i - y_j) / (1 + |y_i - y_j|^2) over the pairs of P's upper triangle in rows
// [first, last), added to attract ([n, Dim]): P is symmetric, so each pair is visited once and its force
// given to both ends. Half the entries read and half the divisions: a quarter less time than full rows.
template <int Dim>
void attract_pairs(const Affinities& p, const std::vector<int64_t>& upper_start, const float* y,
                   int64_t first, int64_t last, float* attract) {
  for (int64_t i = first; i < last; ++i) {
    const float* yi = &y[i * Dim];
    float sum[Dim] = {};
    for (int64_t e = upper_start[i]; e < p.row_start[i + 1]; ++e) {
      float* aj = &attract[int64_t(p.column[e]) * Dim];
      const float* yj = &y[int64_t(p.column[e]) * Dim];
      float diff[Dim], d2 = 0;
      for (int c = 0; c < Dim; ++c) {
        diff[c] = yi[c] - yj[c];
        d2 += diff[c] * diff[c];
      }
      const float w = p.value[e] / (1.0f + d2);
      for (int c = 0; c < Dim; ++c) {
        sum[c] += w * diff[c];
        aj[c] -= w * diff[c];
      }
    }
    for (int c = 0; c < Dim; ++c) attract[i * Dim + c] += sum[c];
  }
}

// Where each row's entries above the diagonal start (columns ascend within a row).
std::vector<int64_t> upper_triangle_starts(const Affinities& p) {
  std::vector<int64_t> start(static_cast<size_t>(p.n));
  for (int64_t i = 0; i < p.n; ++i)
    start[i] = std::upper_bound(p.column.begin() + p.row_start[i], p.column.begin() + p.row_start[i + 1],
                                static_cast<int32_t>(i)) -
               p.column.begin();
  return start;
}

// Row boundaries [threads + 1] that give each thread the same number of upper-triangle pairs: early rows
// hold most of them.
std::vector<int64_t> balanced_rows(const Affinities& p, const std::vector<int64_t>& upper_start,
                                   int threads) {
  int64_t total = 0;
  for (int64_t i = 0; i < p.n; ++i) total += p.row_start[i + 1] - upper_start[i];
  std::vector<int64_t> bound(static_cast<size_t>(threads + 1), p.n);
  bound[0] = 0;
  int64_t seen = 0;
  int next = 1;
  for (int64_t i = 0; i < p.n && next < threads; ++i) {
    seen += p.row_start[i + 1] - upper_start[i];
    while (next < threads && seen * threads >= total * next) bound[next++] = i + 1;
  }
  return bound;
}

// sum_ij p_ij log p_ij over P's entries: the constant part of KL(P || Q).
double p_log_p(const Affinities& p) {
  double total = 0;
  for (const float v : p.value)
    if (v > 0) total += double(v) * std::log(double(v));
  return total;
}

// sum_ij p_ij log(1 + |y_i - y_j|^2) = -sum p_ij log w_ij over P's entries (each pair of the upper triangle
// counted twice), per thread's rows and summed in a fixed order: deterministic for a thread count. Each log
// in single precision (a few times faster than double's log1p; sum_ij p_ij = 1, so the total's error stays
// below 1e-6, far under the stopping tolerance), summed in double.
double attraction_log_sum(const Affinities& p, const std::vector<int64_t>& upper_start, const float* y,
                          int dim, const std::vector<int64_t>& rows, int threads) {
  std::vector<double> part(static_cast<size_t>(threads), 0.0);
  parallel_for(threads, threads, [&](int64_t thread) {
    double sum = 0;
    for (int64_t i = rows[thread]; i < rows[thread + 1]; ++i)
      for (int64_t e = upper_start[i]; e < p.row_start[i + 1]; ++e) {
        const float* yi = &y[i * dim];
        const float* yj = &y[int64_t(p.column[e]) * dim];
        double d2 = 0;
        for (int c = 0; c < dim; ++c) d2 += double(yi[c] - yj[c]) * (yi[c] - yj[c]);
        sum += double(p.value[e]) * std::log(static_cast<float>(1 + d2));
      }
    part[thread] = 2 * sum;
  });
  double total = 0;
  for (const double v : part) total += v;
  return total;
}

}  // namespace

void tsne_conditional_row(const float* distance, int k, double perplexity, float* out) {
  const double target = std::log(perplexity);
  double beta = 1, lo = 0, hi = INFINITY;
  std::vector<double> p(static_cast<size_t>(k));
  for (int step = 0; step < 100; ++step) {
    double sum = 0, weighted = 0;
    for (int j = 0; j < k; ++j) {
      p[j] = std::exp(-beta * (distance[j] - distance[0]));  // shifted by the nearest: no underflow
      sum += p[j];
      weighted += (distance[j] - distance[0]) * p[j];
    }
    const double entropy = std::log(sum) + beta * weighted / sum;
    if (std::abs(entropy - target) < 1e-5) break;
    if (entropy > target) {
      lo = beta;
      beta = std::isinf(hi) ? beta * 2 : (beta + hi) / 2;
    } else {
      hi = beta;
      beta = (beta + lo) / 2;
    }
  }
  double sum = 0;
  for (int j = 0; j < k; ++j) sum += p[j];
  for (int j = 0; j < k; ++j) out[j] = static_cast<float>(p[j] / sum);
}

Affinities tsne_affinities(const KnnGraph& graph, double perplexity, bool squared_distances, int threads) {
  const int64_t n = graph.n;
  const int k = graph.k;
  if (perplexity <= 1 || perplexity >= k + 1)
    throw Error("t-SNE: perplexity must be in (1, k]; got " + std::to_string(perplexity));
  std::vector<float> conditional(static_cast<size_t>(n * k));
  parallel_blocks(n, threads, [&](int64_t first, int64_t last, int) {
    std::vector<float> d(static_cast<size_t>(k));
    for (int64_t i = first; i < last; ++i) {
      std::copy_n(graph.distance.begin() + i * k, k, d.begin());
      if (squared_distances)
        for (float& v : d) v *= v;
      tsne_conditional_row(d.data(), k, perplexity, &conditional[i * k]);
    }
  });

  // (P_cond + P_cond^T) / 2N.
  Affinities p = merge_with_transpose(
      graph, conditional, [](float own, float other) { return own + other; }, threads);
  const float norm = 1.0f / (2.0f * static_cast<float>(n));
  for (float& v : p.value) v *= norm;
  return p;
}

std::vector<float> tsne_pca_init(const float* points, int64_t n, int dim, int out_dim) {
  std::vector<float> y = pca(points, n, dim, out_dim).projection;
  double mean = 0, sq = 0;
  for (int64_t i = 0; i < n; ++i) mean += y[i * out_dim];
  mean /= double(n);
  for (int64_t i = 0; i < n; ++i) sq += (y[i * out_dim] - mean) * (y[i * out_dim] - mean);
  const double sd = std::sqrt(sq / double(n));
  const float scale = sd > 0 ? static_cast<float>(1e-4 / sd) : 1.0f;
  for (float& v : y) v *= scale;
  return y;
}

TsneResult tsne_optimise(const Affinities& p, std::vector<float> y, const TsneOptions& options) {
  const int dim = options.dim;
  const int64_t n = p.n;
  if (dim != 2 && dim != 3) throw Error("t-SNE: dim must be 2 or 3");
  if (static_cast<int64_t>(y.size()) != n * dim) throw Error("t-SNE: initial layout has the wrong size");
  RepulsionOptions repulsion;
  repulsion.interpolation_points = options.interpolation_points;
  repulsion.box_width = options.box_width;
  repulsion.min_boxes = options.min_boxes > 0 ? options.min_boxes : (dim == 2 ? 32 : 6);
  repulsion.max_boxes = options.max_boxes > 0 ? options.max_boxes : (dim == 2 ? 96 : 13);
  // Each parallel loop wakes the team's threads; below a few thousand points that costs more than it saves.
  const int threads = n >= kMinParallelPoints ? options.threads : 1;
  repulsion.threads = threads;
  FftRepulsion fft(dim, repulsion);

  const int exaggeration_iterations = std::max(0, options.exaggeration_iterations);
  const auto rate = [&](double divisor) {
    return static_cast<float>(options.learning_rate > 0 ? options.learning_rate
                                                        : std::max(200.0, double(n) / divisor));
  };
  const float early_rate = rate(options.exaggeration), late_rate = rate(dim == 2 ? 1.0 : 12.0);
  const int check_every = std::max(1, options.check_every);
  const std::vector<int64_t> upper_start = upper_triangle_starts(p);
  const std::vector<int64_t> rows = balanced_rows(p, upper_start, threads);
  const double entropy = p_log_p(p);
  // One attraction buffer per thread (a pair's force lands on both of its rows), summed in a fixed order.
  std::vector<std::vector<float>> attract(static_cast<size_t>(threads), std::vector<float>(y.size()));
  std::vector<float> rep(y.size()), update(y.size(), 0.0f), gains(y.size(), 1.0f);
  const float min_gain = static_cast<float>(options.min_gain);
  TsneResult checked{{}, INFINITY, 0, false};  // the layout at the previous KL estimate
  for (int iter = 0;; ++iter) {
    if (iter % 50 == 0) throw_if_interrupted();
    const bool early = iter < exaggeration_iterations;
    // 1. The repulsion and Z at the current layout.
    const double z = n < kExactRepulsionPoints ? exact_repulsion(y.data(), n, dim, rep.data())
                                               : fft.compute(y.data(), n, rep.data());
    // 2. At a check, the current layout's KL decides whether to stop there.
    if (iter >= options.max_iterations || (!early && (iter - exaggeration_iterations) % check_every == 0)) {
      const double kl =
          entropy + attraction_log_sum(p, upper_start, y.data(), dim, rows, threads) + std::log(z);
      if (kl > checked.kl_divergence) {
        checked.converged = true;
        return checked;
      }
      const bool converged = checked.kl_divergence - kl < options.tolerance * kl;
      if (converged || iter >= options.max_iterations) return {std::move(y), kl, iter, converged};
      checked = {y, kl, iter, false};
    }
    // 3. The attraction, the gradient and the step.
    const float exaggeration = early ? static_cast<float>(options.exaggeration) : 1.0f;
    const float momentum = static_cast<float>(early ? options.momentum : options.final_momentum);
    const float step = early ? early_rate : late_rate;
    const float inv_z = static_cast<float>(1.0 / z);
    parallel_for(threads, threads, [&](int64_t thread) {
      std::vector<float>& mine = attract[thread];
      std::fill(mine.begin(), mine.end(), 0.0f);
      if (dim == 2)
        attract_pairs<2>(p, upper_start, y.data(), rows[thread], rows[thread + 1], mine.data());
      else
        attract_pairs<3>(p, upper_start, y.data(), rows[thread], rows[thread + 1], mine.data());
    });
    parallel_blocks(n, threads, [&](int64_t first, int64_t last, int) {
      for (int64_t at = first * dim; at < last * dim; ++at) {
        float attraction = 0;
        for (const std::vector<float>& part : attract) attraction += part[at];
        const float grad = exaggeration * attraction - rep[at] * inv_z;
        // Gains (Jacobs 1988), as scikit-learn: grow where the step keeps direction, shrink where it flips.
        gains[at] = (update[at] * grad < 0) ? gains[at] + 0.2f : std::max(gains[at] * 0.8f, min_gain);
        update[at] = momentum * update[at] - step * gains[at] * grad;
      }
    });
    for (size_t i = 0; i < y.size(); ++i) y[i] += update[i];
  }
}

TsneResult tsne(const float* points, int64_t n, int dim, Metric metric, const TsneOptions& options) {
  KnnOptions knn;
  knn.k = std::min<int64_t>(static_cast<int>(std::ceil(3 * options.perplexity)), n - 1);
  knn.metric = metric;
  knn.threads = options.threads;
  const KnnGraph graph = nearest_neighbours(points, n, dim, knn);
  const Affinities p =
      tsne_affinities(graph, options.perplexity, metric == Metric::Euclidean, options.threads);
  return tsne_optimise(p, tsne_pca_init(points, n, dim, options.dim), options);
}

}  // namespace attnviz
