// attnviz layout: joint query-key layouts (t-SNE, UMAP, PCA in 2D/3D) and per-head metrics of a run.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/options.hpp"
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
    options.methods = parse_method_list(args->methods);
    options.dims = parse_dim_list(args->dims);
    options.heads = parse_head_list(args->heads, *Run::open(args->run));
    options.seed = args->seed;
    options.threads = compute_threads(args->threads);
    options.force = args->force;
    options.normalise = {!args->no_translate, !args->no_scale};
    options.metric = parse_metric(args->metric);
    install_interrupt_handler();
    const LayoutJobResult result = run_layout_job(options);
    std::fprintf(stderr, "laid out %d heads (%d already present); wrote %zu files in %s/layouts\n",
                 result.heads_computed, result.heads_skipped, result.written.size(), args->run.c_str());
  });
}

}  // namespace attnviz::cli
