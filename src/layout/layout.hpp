#pragma once
// Joint query-key layouts of one attention head: normalise, then PCA / t-SNE / UMAP in 2D or 3D.
#include <string>
#include <utility>
#include <vector>

#include "layout/knn.hpp"
#include "run/run.hpp"

namespace attnviz {

enum class LayoutMethod { PCA, TSNE, UMAP };

using HeadId = std::pair<int, int>;  // (layer, query head)

const char* layout_method_name(LayoutMethod method);        // "pca", "tsne", "umap"
LayoutMethod parse_layout_method(const std::string& name);  // Error on unknown names

struct LayoutRequest {
  LayoutMethod method = LayoutMethod::PCA;
  int dim = 2;  // 2 or 3
  int layer = 0, head = 0;
  unsigned seed = 42;
  int threads = 1;
  bool translate = true, scale = true;  // the paper's normalisation
  Metric metric = Metric::Cosine;       // input-space distance of t-SNE and UMAP (the paper used cosine)
};

// Computes one head's layout: [2N, dim] float32, queries then keys, in token order.
std::vector<float> compute_head_layout(const Run& run, const LayoutRequest& request);

}  // namespace attnviz
