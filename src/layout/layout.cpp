#include "layout/layout.hpp"

#include <cmath>

#include "core/error.hpp"
#include "layout/head_input.hpp"
#include "layout/pca.hpp"
#include "layout/tsne.hpp"
#include "layout/umap.hpp"

namespace attnviz {

const char* layout_method_name(LayoutMethod method) {
  switch (method) {
    case LayoutMethod::PCA:
      return "pca";
    case LayoutMethod::TSNE:
      return "tsne";
    case LayoutMethod::UMAP:
      return "umap";
  }
  return "?";
}

LayoutMethod parse_layout_method(const std::string& name) {
  for (LayoutMethod m : {LayoutMethod::PCA, LayoutMethod::TSNE, LayoutMethod::UMAP})
    if (name == layout_method_name(m)) return m;
  throw Error("unknown layout method '" + name + "' (expected tsne, umap or pca)");
}

void check_head(const Run& run, int layer, int head) {
  const RunModel& m = run.model();
  if (layer < 0 || layer >= m.num_layers || head < 0 || head >= m.num_heads)
    throw Error("head " + std::to_string(layer) + ":" + std::to_string(head) +
                " is out of range: " + run.dir().string() + " has " + std::to_string(m.num_layers) +
                " layers x " + std::to_string(m.num_heads) + " heads");
}

HeadInput load_head(const Run& run, int layer, int head, const NormaliseOptions& options) {
  check_head(run, layer, head);
  HeadInput in;
  in.tokens = run.num_tokens();
  in.dim = run.model().head_dim;
  const std::vector<float> q = run.queries(layer, head), k = run.keys(layer, run.model().kv_head_for(head));
  in.raw.reserve(q.size() + k.size());
  in.raw.insert(in.raw.end(), q.begin(), q.end());
  in.raw.insert(in.raw.end(), k.begin(), k.end());
  in.points = in.raw;
  const size_t half = q.size();
  in.normalisation = normalise_qk(std::span<float>(in.points.data(), half),
                                  std::span<float>(in.points.data() + half, half), in.dim, options);
  return in;
}

int layout_neighbours_needed(int64_t n, bool tsne) {
  const int umap = UmapOptions{}.neighbors - 1;
  const int wanted = tsne ? std::max(static_cast<int>(std::ceil(3 * TsneOptions{}.perplexity)), umap) : umap;
  return static_cast<int>(std::min<int64_t>(wanted, n - 1));
}

std::vector<float> layout_points(const float* points, int64_t n, int dim, LayoutMethod method, int out_dim,
                                 Metric metric, unsigned seed, int threads, const KnnGraph* graph) {
  if (out_dim != 2 && out_dim != 3)
    throw Error("layout dimension must be 2 or 3, got " + std::to_string(out_dim));
  if (method == LayoutMethod::PCA) return pca(points, n, dim, out_dim).projection;
  KnnGraph own;
  if (!graph) {
    KnnOptions knn;
    knn.k = layout_neighbours_needed(n, method == LayoutMethod::TSNE);
    knn.metric = metric;
    knn.threads = threads;
    knn.seed = seed;
    own = nearest_neighbours(points, n, dim, knn);
    graph = &own;
  }
  if (method == LayoutMethod::TSNE) {
    TsneOptions options;
    options.dim = out_dim;
    options.threads = threads;
    // Small inputs: the perplexity must stay below the neighbours available.
    options.perplexity = std::min(options.perplexity, std::max(2.0, (graph->k) / 3.0));
    const int k = std::min(graph->k, static_cast<int>(std::ceil(3 * options.perplexity)));
    const Affinities p = tsne_affinities(truncate_neighbours(*graph, k), options.perplexity,
                                         metric == Metric::Euclidean, threads);
    return tsne_optimise(p, tsne_pca_init(points, n, dim, out_dim), options).embedding;
  }
  UmapOptions options;
  options.dim = out_dim;
  options.threads = threads;
  options.seed = seed;
  const int k = std::min(graph->k, options.neighbors - 1);
  const Affinities g = umap_graph(truncate_neighbours(*graph, k), threads);
  return umap_optimise(g, umap_init(points, n, dim, g, options), options).embedding;
}

std::vector<float> compute_head_layout(const Run& run, const LayoutRequest& request) {
  const HeadInput in = load_head(run, request.layer, request.head, {request.translate, request.scale});
  return layout_points(in.points.data(), 2 * in.tokens, in.dim, request.method, request.dim, request.metric,
                       request.seed, std::max(1, request.threads));
}

}  // namespace attnviz
