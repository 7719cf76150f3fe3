#include "layout/umap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/parallel.hpp"
#include "layout/fast_math.hpp"
#include "layout/pca.hpp"

namespace attnviz {

namespace {

// splitmix64: seeds each vertex's xorshift state from (seed, vertex).
uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

struct Rng {
  uint64_t state;
  uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  // Uniform in [0, n) for n < 2^32 by a multiply instead of a division (Lemire 2019).
  int64_t below(int64_t n) { return static_cast<int64_t>(((next() >> 32) * static_cast<uint64_t>(n)) >> 32); }
};

Rng vertex_rng(unsigned seed, int64_t vertex, uint64_t stream) {
  return Rng{splitmix(splitmix(seed) ^ splitmix(uint64_t(vertex) * 4 + stream)) | 1};
}

// sigma such that sum_j exp(-max(0, d_j - rho) / sigma) = log2(neighbors), as umap-learn's smooth_knn_dist.
double smooth_sigma(const float* d, int k, double rho, double target) {
  double lo = 0, hi = INFINITY, mid = 1;
  for (int step = 0; step < 64; ++step) {
    double psum = 0;
    for (int j = 0; j < k; ++j) psum += d[j] - rho > 0 ? std::exp(-(d[j] - rho) / mid) : 1.0;
    if (std::abs(psum - target) < 1e-5) break;
    if (psum > target) {
      hi = mid;
      mid = (lo + hi) / 2;
    } else {
      lo = mid;
      mid = std::isinf(hi) ? mid * 2 : (lo + hi) / 2;
    }
  }
  return mid;
}

float clip(float v) { return std::clamp(v, -4.0f, 4.0f); }

// One edge of the optimisation: its other end and when it is next sampled (umap-learn's epochs_per_sample
// and epoch_of_next_sample, and the same for its negative samples).
struct SampledEdge {
  int32_t other;
  float per_sample, next_sample, per_negative, next_negative;
};

// One vertex's samples in one epoch: the other ends (edges due, then negative samples), differences to
// them, squared distances, gradient coefficients. Reused across vertices (one per thread) so the epoch loop
// does not allocate once the buffers have grown.
struct Samples {
  std::vector<int32_t> other;
  std::vector<float> diff[3], d2, coeff;
  size_t positives = 0;
};

// What every vertex's move in one epoch shares.
struct Epoch {
  float due;  // epoch + 1: edges whose next sample is due by then move
  float a, b, gamma, alpha;
  int64_t n;
  const float* previous;  // positions at the start of the epoch
};

// Moves vertex i along its edges due this epoch and their negative samples. Every sample's gradient is taken
// at the vertex's position at the start of the epoch, against the other ends' positions then, so the
// coefficients are independent of each other and computed in vectorisable loops.
template <int Dim>
[[gnu::always_inline]] inline void move_vertex(int64_t i, std::span<SampledEdge> edges, float* yi,
                                               const Epoch& epoch, Rng& rng, Samples& s) {
  const float a = epoch.a, b = epoch.b, gamma = epoch.gamma;
  s.other.clear();
  int negatives_due = 0;
  for (SampledEdge& e : edges) {
    if (e.next_sample > epoch.due) continue;
    s.other.push_back(e.other);
    e.next_sample += e.per_sample;
    const int negatives = static_cast<int>((epoch.due - e.next_negative) / e.per_negative);
    e.next_negative += float(negatives) * e.per_negative;
    negatives_due += negatives;
  }
  s.positives = s.other.size();
  for (int k = 0; k < negatives_due; ++k) {
    const int64_t other = rng.below(epoch.n);
    if (other != i) s.other.push_back(static_cast<int32_t>(other));
  }
  const size_t count = s.other.size();
  for (auto& d : s.diff) d.resize(count);
  s.d2.resize(count);
  for (size_t k = 0; k < count; ++k) {
    const float* yo = &epoch.previous[int64_t(s.other[k]) * Dim];
    float d2 = 0;
    for (int c = 0; c < Dim; ++c) {
      s.diff[c][k] = yi[c] - yo[c];
      d2 += s.diff[c][k] * s.diff[c][k];
    }
    s.d2[k] = d2;
  }
  s.coeff.resize(count);
  // Attraction -2ab d^(2(b-1)) / (1 + a d^2b); repulsion 2 gamma b / ((0.001 + d^2)(1 + a d^2b)).
  for (size_t k = 0; k < s.positives; ++k) {
    const float d2 = std::max(s.d2[k], std::numeric_limits<float>::min()), d2b = fast_pow(d2, b);
    const float coeff = -2 * a * b * (d2b / d2) / (a * d2b + 1);
    s.coeff[k] = s.d2[k] > 0 ? coeff : 0.0f;
  }
  for (size_t k = s.positives; k < count; ++k) {
    const float d2 = s.d2[k];
    s.coeff[k] = 2 * gamma * b / ((0.001f + d2) * (a * fast_pow(d2, b) + 1));
  }
  // Each sample's move is clipped to [-4, 4] per coordinate; a negative sample on top of the vertex pushes it
  // by the clip bound (umap-learn).
  for (int c = 0; c < Dim; ++c) {
    float shift = 0;
#pragma omp simd reduction(+ : shift)
    for (size_t k = 0; k < s.positives; ++k) shift += clip(s.coeff[k] * s.diff[c][k]);
#pragma omp simd reduction(+ : shift)
    for (size_t k = s.positives; k < count; ++k)
      shift += s.d2[k] > 0 ? clip(s.coeff[k] * s.diff[c][k]) : 4.0f;
    yi[c] += shift * epoch.alpha;
  }
}

// One thread's block of vertices in an epoch, built twice: for AVX2 + FMA (the coefficient loops run twice
// as wide; UMAP 10-20% faster) and for the baseline. The loader picks what the CPU has.
[[gnu::target_clones("arch=x86-64-v3", "default")]] void move_vertices(int dim, int64_t first, int64_t last,
                                                                       const std::vector<int64_t>& row_start,
                                                                       std::vector<SampledEdge>& edges,
                                                                       std::vector<float>& y,
                                                                       const Epoch& epoch,
                                                                       std::vector<Rng>& rng, Samples& s) {
  for (int64_t i = first; i < last; ++i) {
    const std::span<SampledEdge> row(edges.data() + row_start[i], edges.data() + row_start[i + 1]);
    if (dim == 2)
      move_vertex<2>(i, row, &y[i * 2], epoch, rng[i], s);
    else
      move_vertex<3>(i, row, &y[i * 3], epoch, rng[i], s);
  }
}

// UmapResult::cross_entropy. The low-dimensional similarity v and 1 - v are kept above 1e-12 so that
// coincident points and far-apart edges give large finite terms. Each point's terms are summed on their own
// (in parallel) and the points' sums in order: the same figure for any thread count.
double cross_entropy(const Affinities& graph, const std::vector<float>& y, int dim, UmapCurve curve,
                     unsigned seed, int threads) {
  const int64_t n = graph.n;
  auto similarity = [&](int64_t i, int64_t j) {
    double d2 = 0;
    for (int c = 0; c < dim; ++c)
      d2 += double(y[i * dim + c] - y[j * dim + c]) * (y[i * dim + c] - y[j * dim + c]);
    return std::clamp(1 / (1 + curve.a * std::pow(d2, curve.b)), 1e-12, 1 - 1e-12);
  };
  // Per point: the graph's terms, less the -log(1 - v) the sample counts for every pair; the sampled
  // -log(1 - v) to any other point.
  std::vector<double> edges(static_cast<size_t>(n), 0.0), sampled(static_cast<size_t>(n), 0.0);
  parallel_for(n, threads, [&](int64_t i) {
    for (int64_t e = graph.row_start[i]; e < graph.row_start[i + 1]; ++e) {
      const double w = graph.value[e], v = similarity(i, graph.column[e]);
      edges[i] += (w > 0 ? w * std::log(w / v) : 0.0) +
                  (w < 1 ? (1 - w) * std::log((1 - w) / (1 - v)) : 0.0) + std::log(1 - v);
    }
    if (n < 2) return;
    Rng rng = vertex_rng(seed, i, 2);
    for (int s = 0; s < kCrossEntropySamples; ++s) {
      int64_t j = rng.below(n - 1);
      j += j >= i;  // any other point
      sampled[i] -= std::log(1 - similarity(i, j));
    }
  });
  double edge_sum = 0, sampled_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    edge_sum += edges[i];
    sampled_sum += sampled[i];
  }
  return edge_sum + sampled_sum * double(std::max<int64_t>(n - 1, 0)) / kCrossEntropySamples;
}

}  // namespace

UmapCurve fit_umap_curve(double min_dist, double spread) {
  constexpr int kPoints = 300;
  std::vector<double> x(kPoints), target(kPoints);
  for (int i = 0; i < kPoints; ++i) {
    x[i] = 3 * spread * i / (kPoints - 1);
    target[i] = x[i] < min_dist ? 1.0 : std::exp(-(x[i] - min_dist) / spread);
  }
  auto residuals = [&](double a, double b, double* jac_a, double* jac_b) {
    double cost = 0;
    for (int i = 0; i < kPoints; ++i) {
      const double xb = x[i] > 0 ? std::pow(x[i], 2 * b) : 0.0;
      const double g = 1 / (1 + a * xb), r = g - target[i];
      cost += r * r;
      if (jac_a) {
        jac_a[i] = -xb * g * g;
        jac_b[i] = x[i] > 0 ? -a * xb * 2 * std::log(x[i]) * g * g : 0.0;
      }
    }
    return cost;
  };
  double a = 1, b = 1, lambda = 1e-3;
  std::vector<double> ja(kPoints), jb(kPoints);
  double cost = residuals(a, b, ja.data(), jb.data());
  for (int it = 0; it < 500; ++it) {
    double aa = 0, ab = 0, bb = 0, ga = 0, gb = 0;
    for (int i = 0; i < kPoints; ++i) {
      const double xb = x[i] > 0 ? std::pow(x[i], 2 * b) : 0.0;
      const double r = 1 / (1 + a * xb) - target[i];
      aa += ja[i] * ja[i];
      ab += ja[i] * jb[i];
      bb += jb[i] * jb[i];
      ga += ja[i] * r;
      gb += jb[i] * r;
    }
    const double m00 = aa * (1 + lambda), m11 = bb * (1 + lambda), det = m00 * m11 - ab * ab;
    const double da = -(m11 * ga - ab * gb) / det, db = -(m00 * gb - ab * ga) / det;
    const double trial = residuals(a + da, b + db, nullptr, nullptr);
    if (trial < cost) {
      a += da;
      b += db;
      lambda = std::max(lambda / 10, 1e-12);
      const bool converged = cost - trial < 1e-14 * std::max(cost, 1e-300);
      cost = residuals(a, b, ja.data(), jb.data());
      if (converged) break;
    } else {
      lambda *= 10;
      if (lambda > 1e12) break;
    }
  }
  return {a, b};
}

void umap_memberships(const float* d, int k, double target, double mean_all, float* out) {
  const double rho = d[0];  // local_connectivity = 1: the nearest neighbour is fully connected
  double sigma = smooth_sigma(d, k, rho, target), mean_i = 0;
  for (int j = 0; j < k; ++j) mean_i += d[j];
  mean_i /= k;
  sigma = std::max(sigma, 1e-3 * (rho > 0 ? mean_i : mean_all));
  for (int j = 0; j < k; ++j)
    out[j] = d[j] - rho <= 0 ? 1.0f : static_cast<float>(std::exp(-(d[j] - rho) / sigma));
}

Affinities umap_graph(const KnnGraph& graph, int threads) {
  const int64_t n = graph.n;
  const int k = graph.k;
  const double target = std::log2(double(k + 1));
  double mean_all = 0;
  for (float d : graph.distance) mean_all += d;
  mean_all /= double(graph.distance.size());
  std::vector<float> strength(static_cast<size_t>(n * k));
  parallel_for(n, threads, [&](int64_t i) {
    umap_memberships(&graph.distance[i * k], k, target, mean_all, &strength[i * k]);
  });

  // Fuzzy union w_ij + w_ji - w_ij w_ji: gather each row's own strengths and the transposed ones.
  struct Entry {
    int32_t column;
    float own, other;
  };
  std::vector<std::vector<Entry>> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) {
      const int32_t t = graph.index[i * k + j];
      rows[i].push_back({t, strength[i * k + j], 0.0f});
      rows[t].push_back({static_cast<int32_t>(i), 0.0f, strength[i * k + j]});
    }
  Affinities out;
  out.n = n;
  parallel_for(n, threads, [&](int64_t i) {
    auto& row = rows[i];
    std::sort(row.begin(), row.end(), [](const Entry& a, const Entry& b) { return a.column < b.column; });
    std::vector<Entry> merged;
    for (const Entry& e : row) {
      if (!merged.empty() && merged.back().column == e.column) {
        merged.back().own += e.own;
        merged.back().other += e.other;
      } else {
        merged.push_back(e);
      }
    }
    row = std::move(merged);
  });
  out.row_start.assign(static_cast<size_t>(n + 1), 0);
  for (int64_t i = 0; i < n; ++i)
    out.row_start[i + 1] = out.row_start[i] + static_cast<int64_t>(rows[i].size());
  out.column.reserve(static_cast<size_t>(out.row_start[n]));
  out.value.reserve(static_cast<size_t>(out.row_start[n]));
  for (auto& row : rows)
    for (const Entry& e : row) {
      out.column.push_back(e.column);
      out.value.push_back(e.own + e.other - e.own * e.other);
    }
  return out;
}

std::vector<float> umap_pca_init(const float* points, int64_t n, int dim, int out_dim, unsigned seed) {
  std::vector<float> y = pca(points, n, dim, out_dim).projection;
  float largest = 0;
  for (float v : y) largest = std::max(largest, std::abs(v));
  const float scale = largest > 0 ? 10.0f / largest : 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    Rng rng = vertex_rng(seed, i, 0);
    for (int c = 0; c < out_dim; ++c)
      y[i * out_dim + c] =
          y[i * out_dim + c] * scale + 1e-4f * (float(rng.next() >> 40) / float(1 << 24) - 0.5f);
  }
  return y;
}

void spectral_refine(const Affinities& graph, std::vector<float>& y, int dim, int iterations, int threads) {
  const int64_t n = graph.n;
  std::vector<double> degree(static_cast<size_t>(n), 0.0), v(y.begin(), y.end()), next(v.size());
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t e = graph.row_start[i]; e < graph.row_start[i + 1]; ++e) degree[i] += graph.value[e];
    total += degree[i];
  }
  const int workers = n >= kMinParallelPoints ? threads : 1;  // see tsne_optimise
  for (int it = 0; it < iterations; ++it) {
    // One step of the lazy random walk (I + D^-1 W) / 2 on every column.
    parallel_blocks(n, workers, [&](int64_t first, int64_t last, int) {
      for (int64_t i = first; i < last; ++i)
        for (int c = 0; c < dim; ++c) {
          double s = 0;
          for (int64_t e = graph.row_start[i]; e < graph.row_start[i + 1]; ++e)
            s += graph.value[e] * v[int64_t(graph.column[e]) * dim + c];
          next[i * dim + c] = 0.5 * (v[i * dim + c] + (degree[i] > 0 ? s / degree[i] : 0.0));
        }
    });
    // Gram-Schmidt in the degree-weighted inner product, against the constant vector first.
    for (int c = 0; c < dim; ++c) {
      double mean = 0;
      for (int64_t i = 0; i < n; ++i) mean += degree[i] * next[i * dim + c];
      mean /= total;
      for (int64_t i = 0; i < n; ++i) next[i * dim + c] -= mean;
      for (int b = 0; b < c; ++b) {
        double dot = 0;
        for (int64_t i = 0; i < n; ++i) dot += degree[i] * next[i * dim + c] * next[i * dim + b];
        for (int64_t i = 0; i < n; ++i) next[i * dim + c] -= dot * next[i * dim + b];
      }
      double norm = 0;
      for (int64_t i = 0; i < n; ++i) norm += degree[i] * next[i * dim + c] * next[i * dim + c];
      norm = norm > 0 ? 1 / std::sqrt(norm) : 1.0;
      for (int64_t i = 0; i < n; ++i) next[i * dim + c] *= norm;
    }
    std::swap(v, next);
  }
  double largest = 0;
  for (double x : v) largest = std::max(largest, std::abs(x));
  for (size_t i = 0; i < v.size(); ++i) y[i] = static_cast<float>(largest > 0 ? 10 * v[i] / largest : v[i]);
}

std::vector<float> umap_init(const float* points, int64_t n, int dim, const Affinities& graph,
                             const UmapOptions& options) {
  std::vector<float> y = umap_pca_init(points, n, dim, options.dim, options.seed);
  if (options.spectral_iterations > 0)
    spectral_refine(graph, y, options.dim, options.spectral_iterations, options.threads);
  return y;
}

UmapResult umap_optimise(const Affinities& graph, std::vector<float> y, const UmapOptions& options) {
  const int64_t n = graph.n;
  const int dim = options.dim;
  if (dim != 2 && dim != 3) throw Error("UMAP: dim must be 2 or 3");
  if (static_cast<int64_t>(y.size()) != n * dim) throw Error("UMAP: initial layout has the wrong size");
  const int epochs = options.epochs > 0 ? options.epochs : (n > 10000 ? 250 : 500);
  const UmapCurve curve = fit_umap_curve(options.min_dist, options.spread);
  const float a = static_cast<float>(curve.a), b = static_cast<float>(curve.b);
  const float gamma = static_cast<float>(options.repulsion_strength);

  // Edge e is sampled every max_w / w_e epochs: the strongest edge every epoch; edges too weak to be sampled
  // once are dropped (umap-learn).
  float max_w = 0;
  for (float w : graph.value) max_w = std::max(max_w, w);
  std::vector<int64_t> row_start(static_cast<size_t>(n + 1), 0);
  std::vector<SampledEdge> edges;
  edges.reserve(graph.value.size());
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t e = graph.row_start[i]; e < graph.row_start[i + 1]; ++e) {
      const float w = graph.value[e];
      if (w < max_w / float(epochs)) continue;
      const float per_sample = max_w / w, per_negative = per_sample / float(options.negative_samples);
      edges.push_back({graph.column[e], per_sample, per_sample, per_negative, per_negative});
    }
    row_start[i + 1] = static_cast<int64_t>(edges.size());
  }
  std::vector<Rng> rng(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rng[i] = vertex_rng(options.seed, i, 1);

  const int threads = n >= kMinParallelPoints ? options.threads : 1;  // see tsne_optimise
  std::vector<float> previous(y.size());
  std::vector<Samples> samples(static_cast<size_t>(threads));
  for (int epoch = 0; epoch < epochs; ++epoch) {
    if (epoch % 20 == 0) throw_if_interrupted();
    const float alpha = static_cast<float>(options.learning_rate * (1.0 - double(epoch) / epochs));
    previous = y;
    const Epoch step{float(epoch + 1), a, b, gamma, alpha, n, previous.data()};
    parallel_blocks(n, threads, [&](int64_t first, int64_t last, int t) {
      move_vertices(dim, first, last, row_start, edges, y, step, rng, samples[t]);
    });
  }
  UmapResult result;
  result.cross_entropy = cross_entropy(graph, y, dim, curve, options.seed, threads);
  result.epochs = epochs;
  result.embedding = std::move(y);
  return result;
}

UmapResult umap(const float* points, int64_t n, int dim, Metric metric, const UmapOptions& options) {
  KnnOptions knn;
  knn.k = static_cast<int>(std::min<int64_t>(options.neighbors - 1, n - 1));
  knn.metric = metric;
  knn.threads = options.threads;
  knn.seed = options.seed;
  const Affinities graph = umap_graph(nearest_neighbours(points, n, dim, knn), options.threads);
  return umap_optimise(graph, umap_init(points, n, dim, graph, options), options);
}

}  // namespace attnviz
