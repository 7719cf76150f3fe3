#pragma once
// The paper's per-head normalisation of queries and keys. Neither step changes any softmax row:
//  - translation: keys move by one vector c, so q.(k + c) = q.k + q.c, a constant per query row;
//  - scaling: queries become q/s and keys s.k, so every dot product is unchanged.
// With both on, keys become s.k + c and queries q/s, with c and s chosen so that the key centroid equals the
// query centroid AND the mean key norm equals the mean query norm (s solved by bisection, see .cpp).
#include <cstdint>
#include <span>
#include <vector>

namespace attnviz {

struct NormaliseOptions {
  bool translate = true;  // move the key centroid onto the query centroid
  bool scale = true;      // equalise mean query and mean key norms
};

struct NormaliseResult {
  float scale = 1.0f;        // s: queries were divided by it, keys multiplied
  std::vector<float> shift;  // c: added to the (scaled) keys, [dim]
};

// queries: [nq, dim], keys: [nk, dim], modified in place.
NormaliseResult normalise_qk(std::span<float> queries, std::span<float> keys, int dim,
                             const NormaliseOptions& options);

// A normalisation already computed, applied to other points of the same head (a new input placed in its
// layout): queries / scale, keys * scale + shift. shift: [dim].
void apply_normalisation(std::span<float> queries, std::span<float> keys, int dim, float scale,
                         std::span<const float> shift);

}  // namespace attnviz
