#include "layout/umap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/parallel.hpp"
#include "layout/fast_math.hpp"
#include "layout/umap_detail.hpp"

namespace attnviz {

namespace {

using umap_detail::hash32;
using umap_detail::uniform_below;
using umap_detail::vertex_key;

float clip(float v) { return std::clamp(v, -4.0f, 4.0f); }

// The optimisation's edges as arrays, row by row (vertex i's edges are [row_start[i], row_start[i + 1])):
// each edge's other end, its samples per epoch (rate = w / max_w, umap-learn's 1 / epochs_per_sample), and
// when its next sample and next negative samples are due, as umap-learn's epoch_of_next_sample and
// epoch_of_next_negative_sample over the edge's periods (so they count up from 1): the edge is due by epoch
// t + 1 when next_sample <= (t + 1) rate, and then draws (t + 1) rate negative_samples - next_negative
// negative samples, rounded down. The same schedule as umap-learn's in 16 bytes an edge, which every epoch
// streams through.
struct EdgeSchedule {
  std::vector<int64_t> row_start;
  std::vector<int32_t> other;
  std::vector<float> rate, next_sample, next_negative;
};

// What every vertex's move in one epoch shares.
struct Epoch {
  float due;               // epoch + 1: edges whose next sample is due by then move
  float negative_samples;  // per edge sample
  float a, b, gamma, alpha;
  int64_t n;
  uint32_t counter;       // this epoch's offset of the negative samples' hash counters
  const float* previous;  // positions at the start of the epoch
};

// One chunk of vertices' samples in one epoch, in vertex order (each vertex's edges due, then its negative
// samples): the vertex, the other end, whether it attracts (an edge) or repels (a negative sample), and the
// move it makes per coordinate. The first `count` entries are in use; the arrays only grow (one thread's
// buffers, reused across chunks and epochs), so the draws write by index without a capacity test each.
struct Samples {
  std::vector<int32_t> vertex, other, attracts;
  std::vector<float> move[3], d2;
  std::vector<int32_t> due;  // scratch of draw_samples: whether each of a vertex's edges is due
  size_t count = 0;
  // Room for `more` entries after the first count: a test inlined into the draws, the growth apart.
  void reserve(size_t more) {
    if (count + more > vertex.size()) grow(count + more);
  }
  [[gnu::noinline]] void grow(size_t needed) {
    const size_t size = std::max(2 * vertex.size(), needed);
    for (auto* v : {&vertex, &other, &attracts, &due}) v->resize(size);
    for (auto* v : {&move[0], &move[1], &move[2], &d2}) v->resize(size);
  }
};

constexpr int64_t kChunkVertices = 256;  // a chunk's samples (~21 a vertex) stay in the L2 cache

// 1. The samples of vertex i this epoch: its edges due (umap-learn's schedule), and as many negative samples
// as those edges' schedules say are due, drawn uniformly among the other vertices (a draw of i itself is read
// as i + 1).
[[gnu::always_inline]] inline void draw_samples(int64_t i, EdgeSchedule& edges, uint32_t key,
                                                const Epoch& epoch, Samples& s) {
  const int64_t begin = edges.row_start[i], end = edges.row_start[i + 1];
  s.reserve(static_cast<size_t>(end - begin));
  const auto self = static_cast<int32_t>(i);
  int32_t *vertex = s.vertex.data(), *other = s.other.data(), *attracts = s.attracts.data();
  const int32_t* edge_other = edges.other.data();
  const float* rate = edges.rate.data();
  float *next_sample = edges.next_sample.data(), *next_negative = edges.next_negative.data();
  // Two passes over the edges, neither with a branch on an edge being due (about two in five are, in no
  // order a predictor can learn). The first has no dependency between edges, so it vectorises: an edge not
  // due adds 0 to its counts. The second writes every edge's other end at the next free entry, and only a due
  // one advances it.
  const float due = epoch.due, negatives_due = epoch.due * epoch.negative_samples;
  int32_t* is_due = s.due.data();
  int negatives = 0;
#pragma omp simd reduction(+ : negatives)
  for (int64_t e = begin; e < end; ++e) {
    const bool edge_due = next_sample[e] <= due * rate[e];
    const float taken = static_cast<float>(edge_due);  // 1 or 0 by arithmetic: a ternary becomes a branch
    next_sample[e] += taken;
    const int count = static_cast<int>(taken * (negatives_due * rate[e] - next_negative[e]));
    next_negative[e] += float(count);
    negatives += count;
    is_due[e - begin] = edge_due;
  }
  size_t c = s.count;
  for (int64_t e = begin; e < end; ++e) {
    other[c] = edge_other[e];
    c += static_cast<size_t>(is_due[e - begin]);
  }
  for (size_t k = s.count; k < c; ++k) {
    vertex[k] = self;
    attracts[k] = 1;
  }
  s.count = c;
  s.reserve(static_cast<size_t>(negatives));
  vertex = s.vertex.data() + c;
  other = s.other.data() + c;
  attracts = s.attracts.data() + c;
  s.count += static_cast<size_t>(negatives);
  const auto n = static_cast<uint32_t>(epoch.n);  // vertex indices are int32
  const auto next = static_cast<int32_t>(i + 1 < epoch.n ? i + 1 : 0);
#pragma omp simd
  for (int k = 0; k < negatives; ++k) {
    const auto j = static_cast<int32_t>(uniform_below(hash32(key ^ (epoch.counter + uint32_t(k))), n));
    vertex[k] = self;
    other[k] = j != self ? j : next;
    attracts[k] = 0;
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
  const size_t count = s.count;
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
  while (k < s.count) {
    const int64_t v = s.vertex[k];
    float shift[Dim] = {};
    for (; k < s.count && s.vertex[k] == v; ++k)
      for (int c = 0; c < Dim; ++c) shift[c] += s.move[c][k];
    for (int c = 0; c < Dim; ++c) y[v * Dim + c] += shift[c] * epoch.alpha;
  }
}

// One thread's block of vertices in an epoch, chunk by chunk. Built three times: for AVX-512 and for AVX2 +
// FMA (the moves' loop runs four and two times as wide) and for the baseline; the loader picks what the CPU
// has.
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void move_vertices(
    int dim, int64_t first, int64_t last, EdgeSchedule& edges, const std::vector<uint32_t>& keys,
    std::vector<float>& y, const Epoch& epoch, Samples& s) {
  for (int64_t chunk = first; chunk < last; chunk += kChunkVertices) {
    s.count = 0;
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

}  // namespace

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
      edges.other.push_back(graph.column[e]);
      edges.rate.push_back(w / max_w);
    }
    edges.row_start[i + 1] = static_cast<int64_t>(edges.other.size());
  }
  edges.next_sample.assign(edges.other.size(), 1.0f);
  edges.next_negative.assign(edges.other.size(), 1.0f);
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
    const Epoch step{
        float(epoch + 1), float(options.negative_samples), a, b, gamma, alpha, n, uint32_t(epoch) << 16,
        previous.data()};
    parallel_blocks(n, threads, [&](int64_t first, int64_t last, int t) {
      move_vertices(dim, first, last, edges, keys, y, step, samples[t]);
    });
  }
  UmapResult result;
  result.cross_entropy = umap_detail::cross_entropy(graph, y, dim, curve, options.seed, threads);
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
