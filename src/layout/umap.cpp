#include "layout/umap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/parallel.hpp"
#include "layout/fast_math.hpp"
#include "layout/pca.hpp"

namespace attnviz {

namespace {

// splitmix64: seeds each vertex's xorshift state (the init's noise) and hash keys from (seed, vertex).
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
};

Rng vertex_rng(unsigned seed, int64_t vertex, uint64_t stream) {
  return Rng{splitmix(splitmix(seed) ^ splitmix(uint64_t(vertex) * 4 + stream)) | 1};
}

// The key of a vertex's hashed draws (hash32 below) in one stream.
uint32_t vertex_key(unsigned seed, int64_t vertex, uint64_t stream) {
  return static_cast<uint32_t>(vertex_rng(seed, vertex, stream).next() >> 32);
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

// A 32-bit integer hash (Wellons' lowbias32): the negative samples are hashes of a counter, so that a
// vertex's draws in one epoch are independent of each other and computed in one vectorised loop.
inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  return x ^ (x >> 16);
}

// A hash in [0, n) by a multiply instead of a division (Lemire 2019); 32-bit operands, so it vectorises.
inline int64_t uniform_below(uint32_t hash, uint32_t n) {
  return static_cast<int64_t>((uint64_t(hash) * uint64_t(n)) >> 32);
}

// The optimisation's edges as arrays, row by row (vertex i's edges are [row_start[i], row_start[i + 1])):
// each edge's other end, and when it and its negative samples are next due (umap-learn's epochs_per_sample
// and epoch_of_next_sample, and the same for negative samples). Arrays rather than records: the due test of
// a row reads one dense array of 4-byte times, and only the edges due read the rest.
struct EdgeSchedule {
  std::vector<int64_t> row_start;
  std::vector<int32_t> other;
  std::vector<float> per_sample, next_sample, per_negative, next_negative;
};

// What every vertex's move in one epoch shares.
struct Epoch {
  float due;  // epoch + 1: edges whose next sample is due by then move
  float a, b, gamma, alpha;
  int64_t n;
  uint32_t counter;       // this epoch's offset of the negative samples' hash counters
  const float* previous;  // positions at the start of the epoch
};

// One chunk of vertices' samples in one epoch, in vertex order (each vertex's edges due, then its negative
// samples): the vertex, the other end, whether it attracts (an edge) or repels (a negative sample), and the
// move it makes per coordinate. Reused across chunks (one per thread), so epochs do not allocate once the
// buffers have grown.
struct Samples {
  std::vector<int32_t> vertex, other, attracts;
  std::vector<float> move[3], d2;
  void clear() {
    vertex.clear();
    other.clear();
    attracts.clear();
  }
  void add(int64_t v, int64_t o, bool edge) {
    vertex.push_back(static_cast<int32_t>(v));
    other.push_back(static_cast<int32_t>(o));
    attracts.push_back(edge ? 1 : 0);
  }
};

constexpr int64_t kChunkVertices = 256;  // a chunk's samples (~35 a vertex) stay in the L2 cache

// 1. The samples of vertex i this epoch: its edges due (umap-learn's schedule), and as many negative samples
// as those edges' schedules say are due, drawn uniformly among the other vertices (a draw of i itself is read
// as i + 1).
[[gnu::always_inline]] inline void draw_samples(int64_t i, EdgeSchedule& edges, uint32_t key,
                                                const Epoch& epoch, Samples& s) {
  int negatives = 0;
  for (int64_t e = edges.row_start[i]; e < edges.row_start[i + 1]; ++e) {
    if (edges.next_sample[e] > epoch.due) continue;
    s.add(i, edges.other[e], true);
    edges.next_sample[e] += edges.per_sample[e];
    const int count = static_cast<int>((epoch.due - edges.next_negative[e]) / edges.per_negative[e]);
    edges.next_negative[e] += float(count) * edges.per_negative[e];
    negatives += count;
  }
  const size_t start = s.vertex.size();
  s.vertex.resize(start + static_cast<size_t>(negatives), static_cast<int32_t>(i));
  s.attracts.resize(start + static_cast<size_t>(negatives), 0);
  s.other.resize(start + static_cast<size_t>(negatives));
  int32_t* other = s.other.data() + start;
  const auto n = static_cast<uint32_t>(epoch.n);  // vertex indices are int32
  const auto self = static_cast<int32_t>(i), next = static_cast<int32_t>(i + 1 < epoch.n ? i + 1 : 0);
#pragma omp simd
  for (int k = 0; k < negatives; ++k) {
    const auto j = static_cast<int32_t>(uniform_below(hash32(key ^ (epoch.counter + uint32_t(k))), n));
    other[k] = j != self ? j : next;
  }
}

// 2. Every sample's move: the gradient at the vertex's position at the start of the epoch, against the other
// end's then, so the samples are independent of each other. The differences are gathered in a plain loop
// (GCC does not emit gather instructions for this CPU), the moves computed from them in one vectorised loop
// over the chunk. Attraction -2ab d^(2(b-1)) / (1 + a d^2b), repulsion 2 gamma b / ((0.001 + d^2)
// (1 + a d^2b)); each move is clipped to [-4, 4] per coordinate, and a negative sample on top of the vertex
// pushes it by the clip bound (umap-learn).
template <int Dim>
[[gnu::always_inline]] inline void sample_moves(const Epoch& epoch, Samples& s) {
  const float a = epoch.a, b = epoch.b, gamma = epoch.gamma;
  const size_t count = s.vertex.size();
  for (auto& m : s.move) m.resize(count);
  s.d2.resize(count);
  for (size_t k = 0; k < count; ++k) {
    const float* yv = epoch.previous + int64_t(s.vertex[k]) * Dim;
    const float* yo = epoch.previous + int64_t(s.other[k]) * Dim;
    float d2 = 0;
    for (int c = 0; c < Dim; ++c) {
      s.move[c][k] = yv[c] - yo[c];  // the difference, until the loop below turns it into the move
      d2 += s.move[c][k] * s.move[c][k];
    }
    s.d2[k] = d2;
  }
  const int32_t* attracts = s.attracts.data();
  const float* dist2 = s.d2.data();
  float *m0 = s.move[0].data(), *m1 = s.move[1].data(), *m2 = s.move[2].data();
#pragma omp simd
  for (size_t k = 0; k < count; ++k) {
    const float d2 = dist2[k];
    const float d2c = std::max(d2, std::numeric_limits<float>::min()), d2b = fast_pow(d2c, b);
    const bool edge = attracts[k] != 0;
    const float coeff =
        (edge ? -2 * a * b * d2b : 2 * gamma * b) / ((edge ? d2c : 0.001f + d2) * (a * d2b + 1));
    const float on_top = edge ? 0.0f : 4.0f;
    m0[k] = d2 > 0 ? clip(coeff * m0[k]) : on_top;
    m1[k] = d2 > 0 ? clip(coeff * m1[k]) : on_top;
    if constexpr (Dim == 3) m2[k] = d2 > 0 ? clip(coeff * m2[k]) : on_top;
  }
}

// 3. Each vertex moves by the sum of its samples' moves (in order), times the learning rate.
template <int Dim>
void apply_moves(const Samples& s, const Epoch& epoch, float* y) {
  size_t k = 0;
  while (k < s.vertex.size()) {
    const int64_t v = s.vertex[k];
    float shift[Dim] = {};
    for (; k < s.vertex.size() && s.vertex[k] == v; ++k)
      for (int c = 0; c < Dim; ++c) shift[c] += s.move[c][k];
    for (int c = 0; c < Dim; ++c) y[v * Dim + c] += shift[c] * epoch.alpha;
  }
}

// One thread's block of vertices in an epoch, chunk by chunk. Built twice: for AVX2 + FMA (the moves' loop
// runs twice as wide) and for the baseline; the loader picks what the CPU has.
[[gnu::target_clones("arch=x86-64-v3", "default")]] void move_vertices(int dim, int64_t first, int64_t last,
                                                                       EdgeSchedule& edges,
                                                                       const std::vector<uint32_t>& keys,
                                                                       std::vector<float>& y,
                                                                       const Epoch& epoch, Samples& s) {
  for (int64_t chunk = first; chunk < last; chunk += kChunkVertices) {
    s.clear();
    for (int64_t i = chunk; i < std::min(last, chunk + kChunkVertices); ++i)
      draw_samples(i, edges, keys[i], epoch, s);
    if (dim == 2) {
      sample_moves<2>(epoch, s);
      apply_moves<2>(s, epoch, y.data());
    } else {
      sample_moves<3>(epoch, s);
      apply_moves<3>(s, epoch, y.data());
    }
  }
}

// -log(1 - v) for kCrossEntropySamples other points j than i, v = 1 / (1 + a d_ij^2b), the j drawn as
// hash32(key ^ s): the part of the cross-entropy from pairs outside the graph, summed in one vectorised loop
// in float with fast_pow and fast_log2. -log(1 - v) = log(1 + x), x = 1 / (a d^2b): a cubic below x = 0.01
// (relative error < x^3 / 4), fast_log2 above (relative error < 3e-4); capped at -log(1e-12) as
// cross_entropy keeps v below 1 - 1e-12.
template <int Dim>
[[gnu::always_inline]] inline double sampled_terms(const float* y, int64_t n, int64_t i, uint32_t key,
                                                   float a, float b) {
  const auto others = static_cast<uint32_t>(n - 1);  // vertex indices are int32
  int32_t j[kCrossEntropySamples];
  float d2[kCrossEntropySamples];
#pragma omp simd
  for (int s = 0; s < kCrossEntropySamples; ++s) {
    const auto drawn = static_cast<int32_t>(uniform_below(hash32(key ^ uint32_t(s)), others));
    j[s] = drawn + (drawn >= i ? 1 : 0);  // any other point
  }
  const float* yi = y + i * Dim;
  for (int s = 0; s < kCrossEntropySamples; ++s) {  // a plain loop: no gathers (see sample_moves)
    const float* yj = y + int64_t(j[s]) * Dim;
    d2[s] = 0;
    for (int c = 0; c < Dim; ++c) d2[s] += (yi[c] - yj[c]) * (yi[c] - yj[c]);
  }
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int s = 0; s < kCrossEntropySamples; ++s) {
    const float x = 1 / (a * fast_pow(d2[s], b));
    const float term = x < 0.01f ? x * (1 - x * (0.5f - x / 3)) : fast_log2(1 + x) * 0.69314718f;
    sum += std::min(term, 27.6310211f);
  }
  return sum;
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] double sampled_terms(const float* y, int dim, int64_t n,
                                                                         int64_t i, uint32_t key, float a,
                                                                         float b) {
  return dim == 2 ? sampled_terms<2>(y, n, i, key, a, b) : sampled_terms<3>(y, n, i, key, a, b);
}

// UmapResult::cross_entropy. The graph's terms in double with libm; the low-dimensional similarity v and
// 1 - v are kept above 1e-12 so that coincident points and far-apart edges give large finite terms. Each
// point's terms are summed on their own (in parallel) and the points' sums in order: the same figure for any
// thread count.
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
    sampled[i] = sampled_terms(y.data(), dim, n, i, vertex_key(seed, i, 2), float(curve.a), float(curve.b));
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
  EdgeSchedule edges;
  edges.row_start.assign(static_cast<size_t>(n + 1), 0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t e = graph.row_start[i]; e < graph.row_start[i + 1]; ++e) {
      const float w = graph.value[e];
      if (w < max_w / float(epochs)) continue;
      const float per_sample = max_w / w, per_negative = per_sample / float(options.negative_samples);
      edges.other.push_back(graph.column[e]);
      edges.per_sample.push_back(per_sample);
      edges.next_sample.push_back(per_sample);
      edges.per_negative.push_back(per_negative);
      edges.next_negative.push_back(per_negative);
    }
    edges.row_start[i + 1] = static_cast<int64_t>(edges.other.size());
  }
  // Each vertex's negative samples in epoch t are hash32(key ^ (counter_t + k)), k = 0, 1, ...: counters
  // step by 2^16 per epoch, far above the few dozen draws of a vertex's epoch.
  std::vector<uint32_t> keys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) keys[i] = vertex_key(options.seed, i, 1);

  const int threads = n >= kMinParallelPoints ? options.threads : 1;  // see tsne_optimise
  std::vector<float> previous(y.size());
  std::vector<Samples> samples(static_cast<size_t>(threads));
  for (int epoch = 0; epoch < epochs; ++epoch) {
    if (epoch % 20 == 0) throw_if_interrupted();
    const float alpha = static_cast<float>(options.learning_rate * (1.0 - double(epoch) / epochs));
    previous = y;
    const Epoch step{float(epoch + 1), a, b, gamma, alpha, n, uint32_t(epoch) << 16, previous.data()};
    parallel_blocks(n, threads, [&](int64_t first, int64_t last, int t) {
      move_vertices(dim, first, last, edges, keys, y, step, samples[t]);
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
