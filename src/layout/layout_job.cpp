#include "layout/layout_job.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/disk.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/json.hpp"
#include "core/parallel.hpp"
#include "core/process.hpp"
#include "core/progress.hpp"
#include "layout/estimate.hpp"
#include "layout/head_input.hpp"
#include "layout/heads_file.hpp"
#include "layout/layout_file.hpp"
#include "layout/metrics.hpp"
#include "layout/pca.hpp"
#include "layout/progress_file.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

// One output file and the heads it still needs.
struct FileJob {
  LayoutMethod method;
  int dim;
  std::string name;  // "tsne-2d"
  std::set<HeadId> todo;
  int total = 0, done = 0;  // requested heads; of them finished or already present
  std::map<HeadId, HeadLayout> computed;
};

// The files laid out together: PCA's two, or one t-SNE or UMAP file.
using Phase = std::vector<FileJob*>;

// What one head does in one phase.
struct HeadPlan {
  HeadId head;
  bool input_metrics;    // its first phase in this job: the figures of its input go into metrics.json
  bool keep_neighbours;  // a later phase lays it out with t-SNE or UMAP: keep its neighbour graph for it
  bool tsne;             // t-SNE lays it out in this job: find as many neighbours as t-SNE needs
};

nlohmann::json attention_json(const AttentionStats& stats) {
  return {{"entropy", stats.entropy},
          {"entropy_normalised", stats.entropy_normalised},
          {"max_weight", stats.max_weight},
          {"first_token", stats.first_token},
          {"special_tokens", stats.special_tokens},
          {"previous", stats.previous},
          {"same", stats.same},
          {"next", stats.next},
          {"positional", stats.positional}};
}

// Shared state of one job: progress counters, the progress file (rewritten on every finished head at most
// once a second, and every kHeartbeatSeconds by a heartbeat thread while the job runs) and the metrics
// document.
class JobState {
 public:
  // Sharded, the figures start empty (they become the shard's record) and progress goes to the shard's file.
  JobState(const LayoutJobOptions& options, fs::path dir, std::vector<FileJob>& files, int64_t units)
      : options_(options),
        dir_(std::move(dir)),
        progress_path_(options.shard.sharded() ? shard_progress_path(options.run_dir, options.shard)
                                               : dir_ / "progress.json"),
        files_(files) {
    if (options.show_progress) bar_ = std::make_unique<Progress>("layout", units, "layouts");
    const fs::path metrics = dir_ / "metrics.json";
    if (!options.shard.sharded() && fs::exists(metrics)) {
      try {
        metrics_ = read_json_file(metrics);
      } catch (const Error&) {
        metrics_ = nlohmann::json();  // unreadable: rebuilt from this job's heads
      }
    }
    if (!metrics_.is_object() || !metrics_.contains("heads") || !metrics_["heads"].is_object())
      metrics_ = {{"heads", nlohmann::json::object()}};
    metrics_["format"] = "attnviz-layout-metrics";
    metrics_["version"] = 1;
    metrics_["metric"] = metric_name(options.metric);
    metrics_["normalisation"] = {{"translate", options.normalise.translate},
                                 {"scale", options.normalise.scale}};
  }

  void set_head_metrics(const HeadId& h, const std::string& key, nlohmann::json value) {
    std::lock_guard lock(mutex_);
    metrics_["heads"][head_tensor_name(h.first, h.second)][key] = std::move(value);
  }
  void set_layout_metrics(const HeadId& h, const std::string& group, const std::string& file,
                          nlohmann::json value) {
    std::lock_guard lock(mutex_);
    metrics_["heads"][head_tensor_name(h.first, h.second)][group][file] = std::move(value);
  }

  void finished(FileJob& file, const HeadId& h, HeadLayout layout) {
    int done = 0;
    {
      std::lock_guard lock(mutex_);
      file.computed[h] = std::move(layout);
      done = ++file.done;
      write_progress(false);
    }
    if (bar_) bar_->advance();
    if (options_.on_progress) options_.on_progress(file.name, done, file.total);
  }

  // After each phase: metrics.json (sharded: nothing, the record is written once the shard finished).
  void write_metrics() {
    std::lock_guard lock(mutex_);
    if (!options_.shard.sharded()) write_file_atomic(dir_ / "metrics.json", metrics_.dump(1) + "\n");
  }
  const nlohmann::json& metrics() const { return metrics_; }
  void write_progress(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_progress_ < std::chrono::seconds(1)) return;
    last_progress_ = now;
    nlohmann::json doc = nlohmann::json::object();
    for (const FileJob& f : files_) doc[f.name] = {{"done", f.done}, {"total", f.total}};
    write_progress_file(progress_path_, std::move(doc));
  }
  void write_progress_now() {
    std::lock_guard lock(mutex_);
    write_progress(true);
  }
  // Starts the heartbeat; it stops when the state is destroyed. A failed write (a full disk) is skipped: the
  // job's own writes report it.
  void start_heartbeat() {
    heartbeat_ = std::jthread([this](std::stop_token stop) {
      std::mutex mutex;
      std::condition_variable_any wake;
      std::unique_lock lock(mutex);
      const auto period = std::chrono::duration<double>(kHeartbeatSeconds);
      while (!wake.wait_for(lock, stop, period, [&] { return stop.stop_requested(); })) {
        try {
          write_progress_now();
        } catch (const std::exception&) {
        }
      }
    });
  }

 private:
  const LayoutJobOptions& options_;
  fs::path dir_, progress_path_;
  std::vector<FileJob>& files_;
  std::unique_ptr<Progress> bar_;
  nlohmann::json metrics_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_progress_{};
  std::jthread heartbeat_;  // last: stopped and joined before the rest is destroyed
};

// Neighbour graphs kept from a head's first t-SNE / UMAP phase for its later ones, within a memory budget
// (beyond it, later phases compute them again).
class NeighbourCache {
 public:
  void put(const HeadId& h, KnnGraph graph) {
    std::lock_guard lock(mutex_);
    if (used_ + bytes(graph) > kNeighbourCacheBytes) return;
    used_ += bytes(graph);
    graphs_[h] = std::move(graph);
  }
  std::optional<KnnGraph> take(const HeadId& h) {
    std::lock_guard lock(mutex_);
    const auto it = graphs_.find(h);
    if (it == graphs_.end()) return std::nullopt;
    KnnGraph graph = std::move(it->second);
    graphs_.erase(it);
    used_ -= bytes(graph);
    return graph;
  }

 private:
  static size_t bytes(const KnnGraph& g) {
    return g.index.size() * sizeof(int32_t) + g.distance.size() * sizeof(float);
  }
  std::map<HeadId, KnnGraph> graphs_;
  size_t used_ = 0;
  std::mutex mutex_;
};

// What the heads of one job share: the run, the options, the state and the kept neighbour graphs.
class LayoutJob {
 public:
  LayoutJob(const Run& run, const LayoutJobOptions& options, JobState& state)
      : run_(run), options_(options), state_(state) {}

  // Everything for one head in one phase: its input, its samples, the shared neighbours, and each file's
  // layout and figures. `threads` is what one head may use.
  void lay_out(const HeadPlan& plan, const Phase& phase, int threads) {
    throw_if_interrupted();
    const HeadId& h = plan.head;
    const HeadInput in = load_head(run_, h.first, h.second, options_.normalise);
    const int64_t n = 2 * in.tokens;
    const HeadSample sample(run_, in, options_.metric, options_.seed, threads);
    if (plan.input_metrics) {
      state_.set_head_metrics(h, "tokens", in.tokens);
      state_.set_head_metrics(h, "normalisation_scale", in.normalisation.scale);
      state_.set_layout_metrics(h, "distance_dot_correlation", "raw",
                                sample.correlation(in.raw.data(), in.dim));
      state_.set_layout_metrics(h, "distance_dot_correlation", "normalised",
                                sample.correlation(in.points.data(), in.dim));
      state_.set_head_metrics(h, "attention", attention_json(attention_stats(run_, h.first, h.second)));
    }
    std::optional<KnnGraph> graph = neighbours_.take(h);
    for (FileJob* file : phase) {
      if (!file->todo.count(h)) continue;
      throw_if_interrupted();
      const auto start =
          std::chrono::steady_clock::now();  // includes the neighbours when this file makes them
      if (file->method != LayoutMethod::PCA && !graph) {
        KnnOptions knn;
        knn.k = layout_neighbours_needed(n, plan.tsne);
        knn.metric = options_.metric;
        knn.threads = threads;
        knn.seed = options_.seed;
        graph = nearest_neighbours(in.points.data(), n, in.dim, knn);
      }
      HeadLayout out = placeable_layout(h, in, *file, graph ? &*graph : nullptr, threads);
      const std::vector<float>& y = out.points;
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (const auto trust = sample.trustworthiness(y.data(), file->dim))
        state_.set_layout_metrics(h, "trustworthiness", file->name, *trust);
      state_.set_layout_metrics(h, "distance_dot_correlation", file->name,
                                sample.correlation(y.data(), file->dim));
      state_.set_layout_metrics(h, "seconds", file->name, seconds);
      state_.finished(*file, h, std::move(out));
    }
    if (plan.keep_neighbours && graph) neighbours_.put(h, std::move(*graph));
  }

 private:
  // Where the optimiser of a layout stopped: t-SNE's kl, iterations, converged; UMAP's cross_entropy, epochs.
  void set_optimiser_metrics(const HeadId& h, const std::string& file, const PointLayout& y) {
    if (y.tsne) {
      state_.set_layout_metrics(h, "kl", file, y.tsne->kl_divergence);
      state_.set_layout_metrics(h, "iterations", file, y.tsne->iterations);
      state_.set_layout_metrics(h, "converged", file, y.tsne->converged);
    }
    if (y.umap) {
      state_.set_layout_metrics(h, "cross_entropy", file, y.umap->cross_entropy);
      state_.set_layout_metrics(h, "epochs", file, y.umap->epochs);
    }
  }

  // The head's layout with what placing a new input in it needs (layout/place.hpp): the normalisation, and
  // for PCA its mean and axes. t-SNE and UMAP also report where their optimiser stopped.
  HeadLayout placeable_layout(const HeadId& h, const HeadInput& in, const FileJob& file,
                              const KnnGraph* graph, int threads) {
    HeadLayout out;
    const int64_t n = 2 * in.tokens;
    if (file.method == LayoutMethod::PCA) {
      const PcaResult p = pca(in.points.data(), n, in.dim, file.dim);
      out.points = p.projection;
      out.mean.assign(p.mean.begin(), p.mean.end());
      out.components.assign(p.axes.begin(), p.axes.end());
    } else {
      PointLayout y = layout_points(in.points.data(), n, in.dim, file.method, file.dim, options_.metric,
                                    options_.seed, threads, graph);
      set_optimiser_metrics(h, file.name, y);
      out.points = std::move(y.points);
    }
    out.scale = {in.normalisation.scale};
    out.shift = in.normalisation.shift;
    return out;
  }

  const Run& run_;
  const LayoutJobOptions& options_;
  JobState& state_;
  NeighbourCache neighbours_;
};

// The requested heads, each once, checked against the run; every head when none is requested.
std::vector<HeadId> requested_heads(const Run& run, const std::vector<HeadId>& requested) {
  std::vector<HeadId> heads;
  for (const HeadId& h : requested) {
    check_head(run, h.first, h.second);
    if (std::find(heads.begin(), heads.end(), h) == heads.end()) heads.push_back(h);
  }
  if (requested.empty())
    for (int l = 0; l < run.model().num_layers; ++l)
      for (int h = 0; h < run.model().num_heads; ++h) heads.emplace_back(l, h);
  return heads;
}

// The plans of the heads that have work in phases[index]. A head computes its input figures in its first
// phase of the job (`seen` records those), and keeps its neighbour graph when a later phase (each one t-SNE
// or UMAP file) lays it out too.
std::vector<HeadPlan> plan_phase(const std::vector<Phase>& phases, size_t index,
                                 const std::vector<HeadId>& heads, const std::vector<FileJob>& files,
                                 std::set<HeadId>& seen) {
  const auto needs = [](const Phase& phase, const HeadId& h) {
    return std::any_of(phase.begin(), phase.end(), [&](const FileJob* f) { return f->todo.count(h) > 0; });
  };
  std::vector<HeadPlan> plans;
  for (const HeadId& h : heads) {
    if (!needs(phases[index], h)) continue;
    const bool later = std::any_of(phases.begin() + static_cast<int64_t>(index) + 1, phases.end(),
                                   [&](const Phase& phase) { return needs(phase, h); });
    const bool tsne = std::any_of(files.begin(), files.end(), [&](const FileJob& f) {
      return f.method == LayoutMethod::TSNE && f.todo.count(h) > 0;
    });
    plans.push_back({h, seen.insert(h).second, later, tsne});
  }
  return plans;
}

// The temporary files of layout jobs that were killed while writing; said on stderr.
void remove_stale_temporaries_of_layouts(const fs::path& dir) {
  std::vector<fs::path> files = {dir / "metrics.json", dir / "progress.json"};
  for (LayoutMethod method : {LayoutMethod::PCA, LayoutMethod::TSNE, LayoutMethod::UMAP})
    for (int dim : {2, 3}) files.push_back(layout_file_path(dir.parent_path(), method, dim));
  for (const fs::path& file : files)
    for (const fs::path& path : remove_stale_temporaries(file))
      std::fprintf(stderr, "attnviz: removed %s, left behind by a layout job that no longer runs\n",
                   path.c_str());
}

}  // namespace

LayoutJobResult run_layout_job(const LayoutJobOptions& options) {
  const auto run = Run::open(options.run_dir);
  const std::vector<HeadId> heads = options.shard.sharded()
                                        ? shard_heads(requested_heads(*run, options.heads), options.shard)
                                        : requested_heads(*run, options.heads);
  for (int d : options.dims)
    if (d != 2 && d != 3) throw Error("invalid dimension " + std::to_string(d) + " (expected 2 or 3)");
  if (options.methods.empty() || options.dims.empty()) throw Error("no layout requested");
  if (run->num_tokens() < 8) throw Error(run->dir().string() + ": too few tokens to lay out");
  const fs::path dir = run->dir() / "layouts";
  fs::create_directories(dir);
  // Held for the whole job: a second job on this run would merge into the same files and metrics.json from
  // what it read at its start, and the last to write would drop the other's heads.
  // Shards of one job run at once, on this machine or others, and write apart (layout_shards.hpp): they take
  // neither the lock nor the clean-up, which would count another machine's live process as dead.
  std::optional<FileLock> lock;
  if (!options.shard.sharded()) {
    lock.emplace(dir / "job.lock", dir.string());
    remove_stale_temporaries_of_layouts(dir);
  }

  // Files in the order they are written.
  const std::vector<std::pair<LayoutMethod, int>> order = {{LayoutMethod::PCA, 2},  {LayoutMethod::PCA, 3},
                                                           {LayoutMethod::TSNE, 2}, {LayoutMethod::UMAP, 2},
                                                           {LayoutMethod::TSNE, 3}, {LayoutMethod::UMAP, 3}};
  std::vector<FileJob> files;
  std::vector<PlannedLayout> planned;  // the files this job rewrites, for the disk and memory estimate
  LayoutJobResult result;
  int64_t units = 0;
  for (const auto& [method, dim] : order) {
    if (std::find(options.methods.begin(), options.methods.end(), method) == options.methods.end() ||
        std::find(options.dims.begin(), options.dims.end(), dim) == options.dims.end())
      continue;
    FileJob f{method, dim, layout_file_name(method, dim), {}, static_cast<int>(heads.size()), 0, {}};
    const std::vector<HeadId> stored =
        options.force ? std::vector<HeadId>{}
                      : LayoutFile::read(*run, layout_file_path(run->dir(), method, dim), dim).heads();
    for (const HeadId& h : heads) {
      if (std::find(stored.begin(), stored.end(), h) != stored.end()) {
        ++f.done;
        ++result.heads_skipped;
      } else {
        f.todo.insert(h);
      }
    }
    units += static_cast<int64_t>(f.todo.size());
    if (!f.todo.empty()) {
      const fs::path path = options.shard.sharded()
                                ? shard_layout_path(run->dir(), method, dim, options.shard)
                                : layout_file_path(run->dir(), method, dim);
      std::set<HeadId> after(f.todo.begin(), f.todo.end());
      if (!options.shard.sharded()) after.insert(stored.begin(), stored.end());
      planned.push_back({method,
                         dim,
                         path.lexically_relative(run->dir()).string(),
                         static_cast<int>(f.todo.size()),
                         {after.begin(), after.end()}});
    }
    files.push_back(std::move(f));
  }
  fs::create_directories(
      options.shard.sharded() ? shard_progress_path(run->dir(), options.shard).parent_path() : dir);
  const int threads = options.threads > 0 ? options.threads : default_threads();
  // The heads map is the run's, not a head's: --force redoes it only for a job over every head, so that
  // redoing one head's layout does not pay for the whole run's map.
  const bool heads_map = (!options.shard.sharded() || options.shard.index == 0) &&
                         ((options.force && options.heads.empty()) || !heads_file_fresh(*run));
  // Refused before anything is written when the files cannot fit the disk (each new file is written whole
  // beside the one it replaces: counted whole).
  const LayoutEstimate estimate = estimate_layout(*run, planned, heads_map, threads);
  require_disk_space(dir, estimate.files, "this layout job");
  if (options.show_progress) std::fprintf(stderr, "attnviz: %s\n", describe(estimate, dir.string()).c_str());
  // The heads map first: it covers every head, takes seconds, and the page's heads view needs it. Of a job
  // spread over shards, shard 0 writes it.
  if (heads_map) {
    const auto start = std::chrono::steady_clock::now();
    write_heads_file(*run, compute_heads_map(*run, options.seed, threads));
    result.heads_map_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  JobState state(options, dir, files, units);
  state.write_progress_now();
  state.start_heartbeat();
  LayoutJob job(*run, options, state);

  // Phases, each file written when its phase completes: PCA (both dimensions, instant), then one per t-SNE
  // or UMAP file in the order above, so the page's default (t-SNE 2D) is complete first. A head's neighbour
  // graph is kept for its later phases.
  std::vector<Phase> phases(1);
  for (FileJob& f : files) {
    if (f.method == LayoutMethod::PCA)
      phases[0].push_back(&f);
    else
      phases.push_back({&f});
  }
  std::set<HeadId> seen;  // heads whose input figures were computed in this job
  for (size_t phase_index = 0; phase_index < phases.size(); ++phase_index) {
    const Phase& phase = phases[phase_index];
    const std::vector<HeadPlan> plans = plan_phase(phases, phase_index, heads, files, seen);
    if (plans.empty()) continue;
    const int outer = std::min<int>(threads, static_cast<int>(plans.size()));
    const int inner = std::max(1, threads / outer);
    // Heads go to whichever thread is free next (their costs differ); each head's result depends only on it.
    std::atomic<size_t> next{0};
    parallel_for(outer, outer, [&](int64_t) {
      for (size_t i = next++; i < plans.size(); i = next++) {
        try {
          job.lay_out(plans[i], phase, inner);
        } catch (...) {
          next = plans.size();  // the other threads stop after their current head
          throw;
        }
      }
    });
    for (FileJob* f : phase) {
      if (f->todo.empty()) continue;
      write_layout_file(*run,
                        options.shard.sharded()
                            ? shard_layout_path(run->dir(), f->method, f->dim, options.shard)
                            : layout_file_path(run->dir(), f->method, f->dim),
                        f->method, f->dim, f->computed);
      f->computed.clear();
      result.written.push_back(f->name);
    }
    state.write_metrics();
    state.write_progress_now();
  }
  result.heads_computed = static_cast<int>(seen.size());
  state.write_progress_now();
  if (options.shard.sharded()) {
    write_shard_record(run->dir(), options.shard, state.metrics(), result.written);
    if (options.merge_shards) result.merge = merge_layout_shards(*run, options.shard.count, false);
  }
  return result;
}

}  // namespace attnviz
