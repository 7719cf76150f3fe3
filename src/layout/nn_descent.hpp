#pragma once
// Approximate k nearest neighbours by NN-descent (Dong, Charikar & Li 2011): start every point from random
// neighbours improved by the leaves of a few random projection trees (as pynndescent), then repeatedly let
// each point try the neighbours of its neighbours (and of the points that list it), keeping the k nearest
// found, until a round changes almost nothing. Used by nearest_neighbours (knn.hpp) where it is cheaper than
// the exact product at equal quality (small k, several thousand points).
//
// Deterministic: the result depends on the points and the seed only, never on the thread count. Each round
// is a "pull": every point rebuilds only its own list, from candidate sets fixed before the round starts,
// in an order that does not depend on the other threads.
#include <cstdint>

#include "layout/knn.hpp"

namespace attnviz {

struct NnDescentOptions {
  // Random projection trees for the start; each adds leaf_size distances per point and, from 1 to 8, cut
  // the rounds needed on the benchmark heads from 14 to 4 (a random start finds no small isolated cluster).
  int trees = 8;
  // Neighbours kept per point while searching, at least (the first k returned): short lists explore too
  // little of the graph (k = 5: recall 0.97 on a clustered set); at k = 9 on brown-gpt l2h3, 12 finds 0.988
  // of the float64 neighbours and 15 finds 0.994 (the exact float32 path 0.992) for a quarter more time.
  int min_list = 15;
  int leaf_size = 24;  // points per leaf at most (2k when larger): more finds more, at a cost linear in it
  // Candidates sampled per point per round, new and old each (pynndescent's max_candidates); 0: max(10, k).
  // More finds more per round at a quadratic cost per point.
  int max_candidates = 0;
  // Rounds at most; 0: max(5, round(log2 n)) as pynndescent.
  int max_rounds = 0;
  // Stop once a round improves fewer than delta * n * k list entries.
  double delta = 0.001;
  unsigned seed = 42;
  int threads = 1;
};

// points: [n, dim] row-major, n > k >= 1. Returns the graph with SQUARED euclidean distances computed
// directly for the neighbours found, rows nearest first (ties: lower index first).
KnnGraph nn_descent(const float* points, int64_t n, int dim, int k, const NnDescentOptions& options);

}  // namespace attnviz
