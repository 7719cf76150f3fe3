// attnviz layout: joint query-key layouts (t-SNE, UMAP, PCA in 2D/3D) and per-head metrics of a run.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "layout/layout_job.hpp"

namespace attnviz::cli {

namespace {

struct LayoutArgs {
  std::string run, methods = "tsne,umap,pca", dims = "2,3", heads = "all", metric = "cosine";
  unsigned seed = 42;
  int threads = 0;
  bool force = false, no_translate = false, no_scale = false;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
  return parts;
}

int parse_int(const std::string& text, const std::string& what) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size()) throw Error("invalid " + what + " '" + text + "'");
  return value;
}

// --heads: "all" (or empty) is every head; else "L:H,L:H,..." (the job checks them against the run).
std::vector<HeadId> parse_heads(const std::string& spec) {
  std::vector<HeadId> heads;
  if (spec == "all" || spec.empty()) return heads;
  for (const std::string& item : split(spec, ',')) {
    const auto colon = item.find(':');
    if (colon == std::string::npos)
      throw Error("invalid head '" + item + "' (expected LAYER:HEAD, e.g. 2:1)");
    heads.emplace_back(parse_int(item.substr(0, colon), "layer in head '" + item + "'"),
                       parse_int(item.substr(colon + 1), "head in head '" + item + "'"));
  }
  return heads;
}

// --methods: "tsne,umap,pca", each once.
std::vector<LayoutMethod> parse_methods(const std::string& spec) {
  std::vector<LayoutMethod> methods;
  for (const std::string& name : split(spec, ',')) {
    const LayoutMethod m = parse_layout_method(name);
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  }
  if (methods.empty()) throw Error("no layout method given (expected tsne, umap or pca)");
  return methods;
}

// --dims: "2", "3" or "2,3".
std::vector<int> parse_dims(const std::string& spec) {
  std::vector<int> dims;
  for (const std::string& item : split(spec, ',')) {
    const int d = parse_int(item, "dimension");
    if (d != 2 && d != 3) throw Error("invalid dimension " + item + " (expected 2 or 3)");
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) dims.push_back(d);
  }
  if (dims.empty()) throw Error("no dimension given (expected 2, 3 or 2,3)");
  return dims;
}

}  // namespace

void add_layout_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("layout", "Lay out every head's queries and keys together (t-SNE, UMAP, PCA)");
  auto args = std::make_shared<LayoutArgs>();
  cmd->add_option("RUN", args->run, "Run directory written by attnviz extract")->required();
  cmd->add_option("--methods", args->methods, "Comma-separated: tsne, umap, pca")->capture_default_str();
  cmd->add_option("--dims", args->dims, "Comma-separated: 2, 3")->capture_default_str();
  cmd->add_option("--heads", args->heads, "all, or LAYER:HEAD,... (e.g. 0:1,2:3)")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of UMAP, HNSW and the metric samples")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (default: every core)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--metric", args->metric, "Input distance of t-SNE and UMAP")
      ->check(CLI::IsMember({"cosine", "euclidean"}))
      ->capture_default_str();
  cmd->add_flag("--force", args->force, "Recompute layouts already present");
  cmd->add_flag("--no-translate", args->no_translate, "Do not move the key centroid onto the query centroid");
  cmd->add_flag("--no-scale", args->no_scale, "Do not equalise the mean query and key norms");
  cmd->callback([args] {
    LayoutJobOptions options;
    options.run_dir = args->run;
    options.methods = parse_methods(args->methods);
    options.dims = parse_dims(args->dims);
    options.heads = parse_heads(args->heads);
    options.seed = args->seed;
    options.threads = compute_threads(args->threads);
    options.force = args->force;
    options.normalise = {!args->no_translate, !args->no_scale};
    options.metric = parse_metric(args->metric);
    install_interrupt_handler();
    const LayoutJobResult result = run_layout_job(options);
    std::fprintf(stderr, "laid out %d heads (%d already present); wrote %zu files in %s/layouts\n",
                 result.heads_computed, result.heads_skipped, result.written.size(), args->run.c_str());
    if (result.heads_map_seconds > 0)
      std::fprintf(stderr, "wrote the heads map (layouts/heads.json) in %.2f s\n", result.heads_map_seconds);
  });
}

}  // namespace attnviz::cli
