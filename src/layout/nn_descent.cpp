// NN-descent (nn_descent.hpp) as named steps: the start (random_lists, every tree by build_tree at once, then
// join_leaves tree by tree), then each round reverse_lists, sample_candidates, retire_sampled and local_join,
// until a round's insertions fall below delta * n * k or the round cap. Memory: the lists [n, max(k,
// min_list)] (9 bytes an entry), the trees' orders [trees, n] int32, the candidates [n, 2 cap] int32, and
// one int32 per point per thread for the join's marks.
#include "layout/nn_descent.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/hash.hpp"
#include "core/parallel.hpp"

namespace attnviz {

namespace {

// The current neighbour lists: row i holds k (squared distance, index) pairs sorted by (distance, index),
// and whether each entry arrived since it was last sampled as a candidate ("new" in the paper).
struct Lists {
  int k = 0;
  std::vector<int32_t> index;   // [n, k]
  std::vector<float> distance;  // [n, k]
  std::vector<uint8_t> fresh;   // [n, k]
};

// The candidates each point joins in one round: up to `cap` fresh and up to `cap` old per point.
struct Candidates {
  int cap = 0;
  std::vector<int32_t> fresh, old;              // [n, cap]
  std::vector<int32_t> fresh_count, old_count;  // [n]
  const int32_t* fresh_of(int64_t i) const { return fresh.data() + i * cap; }
  const int32_t* old_of(int64_t i) const { return old.data() + i * cap; }
};

// Who lists whom: the points whose lists hold i, in order of the listing point, with that entry's flag.
struct ReverseLists {
  std::vector<int64_t> offset;  // [n + 1]
  std::vector<int32_t> source;  // [n * k]
  std::vector<uint8_t> fresh;   // [n * k]
};

uint64_t draw(unsigned seed, uint64_t a, uint64_t b) {
  return splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b);
}

// a, b: [dim]. A reduction the compiler may reorder (the same order for every call, so the same result on
// any thread); a NaN counts as infinitely far.
inline float squared_distance(const float* a, const float* b, int dim) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int c = 0; c < dim; ++c) s += (a[c] - b[c]) * (a[c] - b[c]);
  return s == s ? s : std::numeric_limits<float>::infinity();
}

// Puts (d, j) into row i if it is nearer (by distance, then index) than the row's last entry and j is not
// there yet; it arrives fresh. Returns whether it went in.
bool try_insert(Lists& lists, int64_t i, float d, int32_t j) {
  const int k = lists.k;
  float* dist = lists.distance.data() + i * k;
  int32_t* idx = lists.index.data() + i * k;
  uint8_t* fresh = lists.fresh.data() + i * k;
  if (!(d < dist[k - 1] || (d == dist[k - 1] && j < idx[k - 1]))) return false;
  for (int s = 0; s < k; ++s)
    if (idx[s] == j) return false;
  int s = k - 1;
  for (; s > 0 && (d < dist[s - 1] || (d == dist[s - 1] && j < idx[s - 1])); --s) {
    dist[s] = dist[s - 1];
    idx[s] = idx[s - 1];
    fresh[s] = fresh[s - 1];
  }
  dist[s] = d;
  idx[s] = j;
  fresh[s] = 1;
  return true;
}

// Step 1: k distinct random neighbours per point, drawn from a hash of (seed, point, draw) (a taken index
// moves on to the next free one, so it ends after at most n draws), with their distances.
Lists random_lists(const float* x, int64_t n, int dim, int k, unsigned seed, int threads) {
  Lists lists;
  lists.k = k;
  lists.index.assign(static_cast<size_t>(n * k), std::numeric_limits<int32_t>::max());
  lists.distance.assign(static_cast<size_t>(n * k), std::numeric_limits<float>::infinity());
  lists.fresh.assign(static_cast<size_t>(n * k), 1);
  parallel_for(n, threads, [&](int64_t i) {
    int32_t* idx = lists.index.data() + i * k;
    for (int s = 0; s < k; ++s) {
      int64_t j = static_cast<int64_t>(draw(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(s)) %
                                       static_cast<uint64_t>(n));
      while (j == i || std::find(idx, idx + s, j) != idx + s) j = (j + 1) % n;
      idx[s] = static_cast<int32_t>(j);
    }
    std::vector<int32_t> picked(idx, idx + k);
    std::fill(idx, idx + k, std::numeric_limits<int32_t>::max());
    for (int32_t j : picked) try_insert(lists, i, squared_distance(x + i * dim, x + j * dim, dim), j);
  });
  return lists;
}

// A random projection tree's leaves: `order` holds the points leaf by leaf, each leaf a range of it.
struct Tree {
  std::vector<int32_t> order;
  std::vector<std::pair<int64_t, int64_t>> leaves;  // [first, last) of order
};

// Step 1b: a random projection tree (pynndescent's start): split the points by the hyperplane halfway
// between two of them drawn from (seed, tree, node), until at most `leaf` remain. Points close together
// mostly share a leaf, which a random start would leave NN-descent to find, and a small cluster far from the
// rest cannot be found from random neighbours at all. Depends on the points and the seed only, so the trees
// are built at once on separate threads.
Tree build_tree(const float* x, int64_t n, int dim, int leaf, unsigned seed, int tree) {
  Tree t;
  t.order.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t.order[i] = static_cast<int32_t>(i);
  std::vector<std::pair<int64_t, int64_t>> todo = {{0, n}};
  std::vector<float> normal(static_cast<size_t>(dim));
  for (uint64_t node = 0; !todo.empty(); ++node) {
    const auto [first, last] = todo.back();
    todo.pop_back();
    const int64_t size = last - first;
    if (size <= leaf) {
      t.leaves.emplace_back(first, last);
      continue;
    }
    const uint64_t r = draw(seed, static_cast<uint64_t>(tree), node);
    const float* a = x + int64_t(t.order[first + int64_t(r % uint64_t(size))]) * dim;
    const float* b = x + int64_t(t.order[first + int64_t((r >> 32) % uint64_t(size))]) * dim;
    float offset = 0;
    for (int c = 0; c < dim; ++c) {
      normal[c] = a[c] - b[c];
      offset += normal[c] * 0.5f * (a[c] + b[c]);
    }
    auto side = [&](int32_t i) {
      float s = 0;
      for (int c = 0; c < dim; ++c) s += normal[c] * x[int64_t(i) * dim + c];
      return s > offset;
    };
    int64_t middle = std::partition(t.order.begin() + first, t.order.begin() + last, side) - t.order.begin();
    if (middle == first || middle == last) middle = first + size / 2;  // equal points: halves by order
    todo.emplace_back(first, middle);
    todo.emplace_back(middle, last);
  }
  return t;
}

// Step 1c: every point tries all of its leaf. The leaves of a tree are disjoint, so they are tried in
// parallel without changing the result; the trees one after another.
void join_leaves(const float* x, int dim, const Tree& tree, int threads, Lists& lists) {
  parallel_for(static_cast<int64_t>(tree.leaves.size()), threads, [&](int64_t l) {
    const auto [first, last] = tree.leaves[l];
    const int32_t* order = tree.order.data();
    for (int64_t p = first; p < last; ++p)
      for (int64_t q = p + 1; q < last; ++q) {
        const float d = squared_distance(x + int64_t(order[p]) * dim, x + int64_t(order[q]) * dim, dim);
        try_insert(lists, order[p], d, order[q]);
        try_insert(lists, order[q], d, order[p]);
      }
  });
}

// Step 2a: the reverse of the lists, built in index order.
ReverseLists reverse_lists(const Lists& lists, int64_t n) {
  const int k = lists.k;
  ReverseLists reverse;
  reverse.offset.assign(static_cast<size_t>(n + 1), 0);
  for (int32_t j : lists.index) ++reverse.offset[j + 1];
  for (int64_t i = 0; i < n; ++i) reverse.offset[i + 1] += reverse.offset[i];
  reverse.source.resize(lists.index.size());
  reverse.fresh.resize(lists.index.size());
  std::vector<int64_t> next(reverse.offset.begin(), reverse.offset.end() - 1);
  for (int64_t i = 0; i < n; ++i)
    for (int s = 0; s < k; ++s) {
      const int64_t at = next[lists.index[i * k + s]]++;
      reverse.source[at] = static_cast<int32_t>(i);
      reverse.fresh[at] = lists.fresh[i * k + s];
    }
  return reverse;
}

// Step 2b: each point's candidates for the round: its list and its reverse list, each pair {i, j} with a
// priority drawn from (seed, round, pair) so both ends agree, the cap lowest priorities kept among the fresh
// (fresh if either end's entry is) and among the old ones (pynndescent's sampling, with a hash for a heap).
Candidates sample_candidates(const Lists& lists, const ReverseLists& reverse, int64_t n, int cap, int round,
                             unsigned seed, int threads) {
  const int k = lists.k;
  Candidates c;
  c.cap = cap;
  c.fresh.assign(static_cast<size_t>(n * cap), 0);
  c.old.assign(static_cast<size_t>(n * cap), 0);
  c.fresh_count.assign(static_cast<size_t>(n), 0);
  c.old_count.assign(static_cast<size_t>(n), 0);
  const unsigned round_seed = seed ^ static_cast<unsigned>(splitmix64(static_cast<uint64_t>(round) + 1));
  parallel_blocks(n, threads, [&](int64_t first, int64_t last, int) {
    // (priority, point, fresh) packed in one sortable word: the pair's 32-bit priority, then the point, then
    // the flag, so a point listed both ways sorts next to itself.
    std::vector<uint64_t> pool;
    auto add = [&](int64_t i, int32_t j, uint8_t fresh) {
      const auto lo = static_cast<uint64_t>(std::min<int64_t>(i, j)),
                 hi = static_cast<uint64_t>(std::max<int64_t>(i, j));
      pool.push_back((draw(round_seed, lo, hi) >> 32 << 32) | (uint64_t(uint32_t(j)) << 1) | (fresh ? 1 : 0));
    };
    for (int64_t i = first; i < last; ++i) {
      pool.clear();
      for (int s = 0; s < k; ++s) add(i, lists.index[i * k + s], lists.fresh[i * k + s]);
      for (int64_t r = reverse.offset[i]; r < reverse.offset[i + 1]; ++r)
        add(i, reverse.source[r], reverse.fresh[r]);
      std::sort(pool.begin(), pool.end());
      for (size_t p = 0; p < pool.size(); ++p) {
        bool fresh = pool[p] & 1;
        if (p + 1 < pool.size() && pool[p + 1] >> 1 == pool[p] >> 1) {  // listed both ways: one candidate
          fresh = pool[p + 1] & 1;  // of the two, the fresh one sorts last
          ++p;
        }
        const auto j = static_cast<int32_t>(uint32_t(pool[p]) >> 1);
        int32_t& count = fresh ? c.fresh_count[i] : c.old_count[i];
        if (count < cap) (fresh ? c.fresh : c.old)[i * cap + count++] = j;
      }
    }
  });
  return c;
}

// Step 2c: an entry sampled as a fresh candidate at either end is old from now on.
void retire_sampled(Lists& lists, const Candidates& c, int64_t n, int threads) {
  const int k = lists.k;
  auto holds = [&](int64_t i, int32_t j) {
    const int32_t* f = c.fresh_of(i);
    return std::find(f, f + c.fresh_count[i], j) != f + c.fresh_count[i];
  };
  parallel_for(n, threads, [&](int64_t i) {
    for (int s = 0; s < k; ++s) {
      uint8_t& fresh = lists.fresh[i * k + s];
      const int32_t j = lists.index[i * k + s];
      if (fresh && (holds(i, j) || holds(j, static_cast<int32_t>(i)))) fresh = 0;
    }
  });
}

// Step 3: the local join as a pull. Point i tries its fresh candidates u, and every candidate w of each u
// where at least one of the two steps i -> u -> w is fresh; each w once per round. Only row i changes.
// Returns the number of entries that went into the lists.
int64_t local_join(const float* x, int dim, Lists& lists, const Candidates& c, int64_t n, int threads) {
  const int k = lists.k;
  std::vector<int64_t> updates(static_cast<size_t>(threads), 0);
  parallel_blocks(n, threads, [&](int64_t first, int64_t last, int thread) {
    std::vector<int32_t> seen(static_cast<size_t>(n), -1);  // seen[w] == i: tried for i this round
    int64_t count = 0;
    for (int64_t i = first; i < last; ++i) {
      const float* xi = x + i * dim;
      seen[i] = static_cast<int32_t>(i);
      for (int s = 0; s < k; ++s) seen[lists.index[i * k + s]] = static_cast<int32_t>(i);
      auto consider = [&](int32_t w) {
        if (seen[w] == i) return;
        seen[w] = static_cast<int32_t>(i);
        count += try_insert(lists, i, squared_distance(xi, x + int64_t(w) * dim, dim), w) ? 1 : 0;
      };
      auto consider_all = [&](const int32_t* list, int32_t size) {
        for (int32_t p = 0; p < size; ++p) consider(list[p]);
      };
      for (int32_t p = 0; p < c.fresh_count[i]; ++p) {
        const int32_t u = c.fresh_of(i)[p];
        consider(u);
        consider_all(c.fresh_of(u), c.fresh_count[u]);
        consider_all(c.old_of(u), c.old_count[u]);
      }
      for (int32_t p = 0; p < c.old_count[i]; ++p) {
        const int32_t u = c.old_of(i)[p];
        consider_all(c.fresh_of(u), c.fresh_count[u]);
      }
    }
    updates[thread] = count;
  });
  int64_t total = 0;
  for (int64_t u : updates) total += u;
  return total;
}

}  // namespace

KnnGraph nn_descent(const float* points, int64_t n, int dim, int k, const NnDescentOptions& options) {
  const int threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(options.threads, n)));
  const int kept = static_cast<int>(std::min<int64_t>(std::max(k, options.min_list), n - 1));
  Lists lists = random_lists(points, n, dim, kept, options.seed, threads);
  std::vector<Tree> trees(static_cast<size_t>(std::max(0, options.trees)));
  parallel_for(options.trees, threads, [&](int64_t t) {
    trees[t] =
        build_tree(points, n, dim, std::max(options.leaf_size, 2 * kept), options.seed, static_cast<int>(t));
  });
  for (const Tree& tree : trees) join_leaves(points, dim, tree, threads, lists);
  const int cap = options.max_candidates > 0 ? options.max_candidates : std::max(10, kept);
  const int rounds = options.max_rounds > 0
                         ? options.max_rounds
                         : std::max(5, static_cast<int>(std::lround(std::log2(static_cast<double>(n)))));
  for (int round = 0; round < rounds; ++round) {
    const Candidates c =
        sample_candidates(lists, reverse_lists(lists, n), n, cap, round, options.seed, threads);
    retire_sampled(lists, c, n, threads);
    if (static_cast<double>(local_join(points, dim, lists, c, n, threads)) <
        options.delta * static_cast<double>(n) * kept)
      break;
  }
  KnnGraph found;
  found.n = n;
  found.k = kept;
  found.index = std::move(lists.index);
  found.distance = std::move(lists.distance);
  return truncate_neighbours(found, k);
}

}  // namespace attnviz
