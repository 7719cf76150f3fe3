#pragma once
// One head's points as the layouts see them: queries then keys, [2N, head_dim], normalised.
#include <cstdint>
#include <vector>

#include "layout/layout.hpp"
#include "layout/normalise.hpp"

namespace attnviz {

struct HeadInput {
  int64_t tokens = 0;         // N
  int dim = 0;                // head_dim
  std::vector<float> raw;     // [2N, dim] as the model dots them
  std::vector<float> points;  // [2N, dim] normalised
  NormaliseResult normalisation;
};

// Error naming the run when layer or head is out of range.
void check_head(const Run& run, int layer, int head);

// Reads one head (under GQA with its key head) and normalises it.
HeadInput load_head(const Run& run, int layer, int head, const NormaliseOptions& options);

// The layout of points [n, dim] by method in out_dim dimensions. graph: neighbours in the same metric
// (k at least the method needs), or nullptr to compute them.
std::vector<float> layout_points(const float* points, int64_t n, int dim, LayoutMethod method, int out_dim,
                                 Metric metric, unsigned seed, int threads, const KnnGraph* graph = nullptr);

// The neighbours UMAP needs with default options, or t-SNE and UMAP when tsne (one graph serves both).
int layout_neighbours_needed(int64_t n, bool tsne);

}  // namespace attnviz
