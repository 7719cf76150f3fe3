// attnviz layout: joint query-key layouts (t-SNE, UMAP, PCA in 2D/3D) and per-head metrics of a run.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "layout/layout_job.hpp"
#include "layout/layout_shards.hpp"

namespace attnviz::cli {

namespace {

struct LayoutArgs {
  std::string run, methods = "tsne,umap,pca", dims = "2,3", heads = "all", metric = "cosine", shard;
  unsigned seed = 42;
  int threads = 0;
  bool force = false, no_translate = false, no_scale = false, merge = false;
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

std::optional<int> env_int(const char* name) {
  const char* value = std::getenv(name);
  if (!value) return std::nullopt;
  return parse_int(value, std::string(name) + " value");
}

// I of N with N from ATTNVIZ_SHARDS; `what` names I's variable.
Shard shard_of(int index, const std::string& what) {
  const auto count = env_int("ATTNVIZ_SHARDS");
  if (!count)
    throw Error("--shard auto: " + what + " is set but ATTNVIZ_SHARDS (the number of shards) is not");
  if (*count < 1 || index < 0 || index >= *count)
    throw Error("--shard auto: " + what + " " + std::to_string(index) + " is not below ATTNVIZ_SHARDS " +
                std::to_string(*count));
  return {index, *count};
}

// The shard of a Slurm array task (its task id less the array's first, of the array's task count; or its task
// id of ATTNVIZ_SHARDS when that is set, to run some shards again) or of a Kubernetes Indexed Job's pod
// (JOB_COMPLETION_INDEX of ATTNVIZ_SHARDS: the Job sets it to its completions).
Shard shard_from_environment() {
  if (const auto id = env_int("SLURM_ARRAY_TASK_ID")) {
    if (std::getenv("ATTNVIZ_SHARDS")) return shard_of(*id, "SLURM_ARRAY_TASK_ID");
    const int min = env_int("SLURM_ARRAY_TASK_MIN").value_or(0);
    const auto count = env_int("SLURM_ARRAY_TASK_COUNT"), max = env_int("SLURM_ARRAY_TASK_MAX");
    const auto step = env_int("SLURM_ARRAY_TASK_STEP");
    if (!count && !max)
      throw Error("--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor _MAX");
    const Shard shard{*id - min, count ? *count : *max - min + 1};
    if ((step && *step != 1) || (count && max && *count != *max - min + 1) || shard.index < 0 ||
        shard.index >= shard.count)
      throw Error("--shard auto: the Slurm array is not one range of task ids (task " + std::to_string(*id) +
                  "); submit it as --array=0-" + std::to_string(shard.count - 1) +
                  ", or set ATTNVIZ_SHARDS to N and use task ids 0 to N-1");
    return shard;
  }
  if (const auto index = env_int("JOB_COMPLETION_INDEX")) return shard_of(*index, "JOB_COMPLETION_INDEX");
  throw Error(
      "--shard auto: neither a Slurm array task (SLURM_ARRAY_TASK_ID) nor a Kubernetes Indexed Job "
      "(JOB_COMPLETION_INDEX); give --shard I/N");
}

// --shard: "I/N" with 0 <= I < N, or "auto" (shard_from_environment).
Shard parse_shard(const std::string& spec) {
  if (spec == "auto") return shard_from_environment();
  const auto slash = spec.find('/');
  const std::string expected =
      " (expected I/N with 0 <= I < N <= " + std::to_string(kMaxShards) + ", e.g. 0/4, or auto)";
  if (slash == std::string::npos) throw Error("invalid --shard '" + spec + "'" + expected);
  const Shard shard{parse_int(spec.substr(0, slash), "shard index in --shard '" + spec + "'"),
                    parse_int(spec.substr(slash + 1), "shard count in --shard '" + spec + "'")};
  if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count || shard.count > kMaxShards)
    throw Error("invalid --shard '" + spec + "'" + expected);
  return shard;
}

// --merge: every finished shard into the run's files.
void merge_shards(const std::string& run_dir) {
  const ShardMerge merge = merge_layout_shards(*Run::open(run_dir), 0, true);
  std::fprintf(stderr, "merged %d shards (%zu layout files) into %s/layouts\n", merge.shards,
               merge.written.size(), run_dir.c_str());
}

// What a sharded job says about the merge it tried.
void report_merge(const LayoutJobOptions& options, const ShardMerge& merge) {
  if (merge.merged)
    std::fprintf(stderr, "shard %d/%d finished last: merged %d shards into the run's layouts\n",
                 options.shard.index, options.shard.count, merge.shards);
  else if (!merge.missing.empty())
    std::fprintf(stderr, "shard %d/%d finished; %zu of %d shards still running (the last one merges)\n",
                 options.shard.index, options.shard.count, merge.missing.size(), options.shard.count);
  else
    std::fprintf(stderr, "shard %d/%d finished; another shard merged them\n", options.shard.index,
                 options.shard.count);
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
  auto* shard = cmd->add_option("--shard", args->shard,
                                "I/N: only shard I of N's heads (0 <= I < N), merged when all finished; "
                                "auto: from a Slurm array or a Kubernetes Indexed Job (docs/cluster.md)");
  cmd->add_flag("--merge", args->merge, "Merge the finished shards into the run's layouts, then stop")
      ->excludes(shard);
  cmd->add_flag("--force", args->force, "Recompute layouts already present");
  cmd->add_flag("--no-translate", args->no_translate, "Do not move the key centroid onto the query centroid");
  cmd->add_flag("--no-scale", args->no_scale, "Do not equalise the mean query and key norms");
  cmd->callback([args] {
    if (args->merge) return merge_shards(args->run);
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
    if (!args->shard.empty()) options.shard = parse_shard(args->shard);
    install_interrupt_handler();
    const LayoutJobResult result = run_layout_job(options);
    std::fprintf(stderr, "laid out %d heads (%d already present); wrote %zu files in %s/layouts%s\n",
                 result.heads_computed, result.heads_skipped, result.written.size(), args->run.c_str(),
                 options.shard.sharded() ? "/shards" : "");
    if (options.shard.sharded()) report_merge(options, result.merge);
    if (result.heads_map_seconds > 0)
      std::fprintf(stderr, "wrote the heads map (layouts/heads.json) in %.2f s\n", result.heads_map_seconds);
  });
}

}  // namespace attnviz::cli
