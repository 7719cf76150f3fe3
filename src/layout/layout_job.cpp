#include "layout/layout_job.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/json.hpp"
#include "core/parallel.hpp"
#include "core/progress.hpp"
#include "layout/head_input.hpp"
#include "layout/layout_file.hpp"
#include "layout/metrics.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

constexpr int kTrustworthinessK = 10;
constexpr int64_t kTrustworthinessSample = 3000;
constexpr int64_t kCorrelationQueries = 2000;
constexpr size_t kNeighbourCacheBytes = size_t(512) << 20;

using Head = HeadId;

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

// One output file and the heads it still needs.
struct FileJob {
  LayoutMethod method;
  int dim;
  std::string name;  // "tsne-2d"
  std::set<Head> todo;
  int total = 0, done = 0;  // requested heads; of them finished or already present
  std::map<Head, HeadLayout> computed;
};

// For up to kCorrelationQueries queries drawn with the seed, every key of the same input it may attend to
// (at or before it when causal), grouped by query.
std::vector<QkPair> sample_pairs(const Run& run, unsigned seed) {
  std::vector<QkPair> pairs;
  const auto& seq = run.tokens().sequence;
  for (int64_t q : sample_indices(run.num_tokens(), kCorrelationQueries, seed)) {
    const RunSequence& s = run.sequences()[seq[q]];
    const int64_t end = run.model().causal ? q + 1 : s.first_token + s.token_count;
    for (int64_t k = s.first_token; k < end; ++k) pairs.push_back({q, k});
  }
  return pairs;
}

nlohmann::json attention_json(const Run& run, int layer, int head) {
  AttentionStats stats;
  const auto& special = run.tokens().special;
  for (size_t s = 0; s < run.sequences().size(); ++s) {
    const RunSequence& seq = run.sequences()[s];
    const std::vector<float> a = run.attention(layer, head, static_cast<int>(s));
    std::vector<uint8_t> flags(static_cast<size_t>(seq.token_count), 0);
    if (special.size() == static_cast<size_t>(run.num_tokens()))
      std::copy_n(special.begin() + seq.first_token, seq.token_count, flags.begin());
    stats.add_sequence(a.data(), seq.token_count, flags.data());
  }
  stats.finish();
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

// Shared state of one job: progress counters, the progress file and the metrics document.
class JobState {
 public:
  JobState(const LayoutJobOptions& options, fs::path dir, std::vector<FileJob>& files, int64_t units)
      : options_(options), dir_(std::move(dir)), files_(files) {
    if (options.show_progress) bar_ = std::make_unique<Progress>("layout", units, "layouts");
    const fs::path metrics = dir_ / "metrics.json";
    if (fs::exists(metrics)) {
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

  void set_head_metrics(const Head& h, const std::string& key, nlohmann::json value) {
    std::lock_guard lock(mutex_);
    metrics_["heads"][head_tensor_name(h.first, h.second)][key] = std::move(value);
  }
  void set_layout_metrics(const Head& h, const std::string& group, const std::string& file, double value) {
    std::lock_guard lock(mutex_);
    metrics_["heads"][head_tensor_name(h.first, h.second)][group][file] = value;
  }

  void finished(FileJob& file, const Head& h, std::vector<float> layout) {
    int done = 0;
    {
      std::lock_guard lock(mutex_);
      file.computed[h].points = std::move(layout);
      done = ++file.done;
      write_progress(false);
    }
    if (bar_) bar_->advance();
    if (options_.on_progress) options_.on_progress(file.name, done, file.total);
  }

  void write_metrics() {
    std::lock_guard lock(mutex_);
    write_file_atomic(dir_ / "metrics.json", metrics_.dump(1) + "\n");
  }
  void write_progress(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_progress_ < std::chrono::seconds(1)) return;
    last_progress_ = now;
    nlohmann::json doc = nlohmann::json::object();
    for (const FileJob& f : files_) doc[f.name] = {{"done", f.done}, {"total", f.total}};
    write_file_atomic(dir_ / "progress.json", doc.dump() + "\n");
  }
  void write_progress_now() {
    std::lock_guard lock(mutex_);
    write_progress(true);
  }

 private:
  const LayoutJobOptions& options_;
  fs::path dir_;
  std::vector<FileJob>& files_;
  std::unique_ptr<Progress> bar_;
  nlohmann::json metrics_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_progress_{};
};

// Neighbour graphs kept from a head's first t-SNE / UMAP phase for its later ones, within a memory budget
// (beyond it, later phases compute them again).
class NeighbourCache {
 public:
  void put(const Head& h, KnnGraph graph) {
    std::lock_guard lock(mutex_);
    if (used_ + bytes(graph) > kNeighbourCacheBytes) return;
    used_ += bytes(graph);
    graphs_[h] = std::move(graph);
  }
  std::optional<KnnGraph> take(const Head& h) {
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
  std::map<Head, KnnGraph> graphs_;
  size_t used_ = 0;
  std::mutex mutex_;
};

// Everything for one head in one phase: its input, the shared neighbours (as many as t-SNE needs when tsne;
// kept for a later phase when keep_neighbours), each file's layout and metrics.
void process_head(const Run& run, const Head& h, std::vector<FileJob*>& phase,
                  const LayoutJobOptions& options, int threads, bool base_metrics, NeighbourCache& neighbours,
                  bool keep_neighbours, bool tsne, JobState& state) {
  throw_if_interrupted();
  const HeadInput in = load_head(run, h.first, h.second, options.normalise);
  const int64_t n = 2 * in.tokens;
  const std::vector<QkPair> pairs = sample_pairs(run, options.seed);
  std::vector<double> dots(pairs.size());
  for (size_t p = 0; p < pairs.size(); ++p) {
    const float* q = &in.raw[pairs[p].query * in.dim];
    const float* k = &in.raw[(in.tokens + pairs[p].key) * in.dim];
    double s = 0;
    for (int c = 0; c < in.dim; ++c) s += double(q[c]) * k[c];
    dots[p] = s;
  }
  if (base_metrics) {
    state.set_head_metrics(h, "tokens", in.tokens);
    state.set_head_metrics(h, "normalisation_scale", in.normalisation.scale);
    state.set_layout_metrics(h, "distance_dot_correlation", "raw",
                             distance_dot_correlation(in.raw.data(), in.tokens, in.dim, pairs, dots));
    state.set_layout_metrics(h, "distance_dot_correlation", "normalised",
                             distance_dot_correlation(in.points.data(), in.tokens, in.dim, pairs, dots));
    state.set_head_metrics(h, "attention", attention_json(run, h.first, h.second));
  }
  const std::vector<int64_t> sample = sample_indices(n, kTrustworthinessSample, options.seed);
  std::vector<float> sample_in;
  for (int64_t i : sample)
    sample_in.insert(sample_in.end(), &in.points[i * in.dim], &in.points[(i + 1) * in.dim]);

  std::optional<Trustworthiness> trust;
  if (static_cast<int64_t>(sample.size()) >= 3 * kTrustworthinessK + 2)
    trust.emplace(sample_in.data(), in.dim, static_cast<int64_t>(sample.size()), kTrustworthinessK,
                  options.metric);
  std::optional<KnnGraph> graph = neighbours.take(h);
  for (FileJob* file : phase) {
    if (!file->todo.count(h)) continue;
    throw_if_interrupted();
    const auto start = std::chrono::steady_clock::now();  // includes the neighbours when this file makes them
    if (file->method != LayoutMethod::PCA && !graph) {
      KnnOptions knn;
      knn.k = layout_neighbours_needed(n, tsne);
      knn.metric = options.metric;
      knn.threads = threads;
      knn.seed = options.seed;
      graph = nearest_neighbours(in.points.data(), n, in.dim, knn);
    }
    std::vector<float> y = layout_points(in.points.data(), n, in.dim, file->method, file->dim, options.metric,
                                         options.seed, threads, graph ? &*graph : nullptr);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<float> sample_out;
    for (int64_t i : sample) sample_out.insert(sample_out.end(), &y[i * file->dim], &y[(i + 1) * file->dim]);
    if (trust)
      state.set_layout_metrics(h, "trustworthiness", file->name, trust->of(sample_out.data(), file->dim));
    state.set_layout_metrics(h, "distance_dot_correlation", file->name,
                             distance_dot_correlation(y.data(), in.tokens, file->dim, pairs, dots));
    state.set_layout_metrics(h, "seconds", file->name, seconds);
    state.finished(*file, h, std::move(y));
  }
  if (keep_neighbours && graph) neighbours.put(h, std::move(*graph));
}

}  // namespace

std::vector<std::pair<int, int>> parse_head_list(const std::string& spec, const Run& run) {
  std::vector<Head> heads;
  if (spec == "all" || spec.empty()) {
    for (int l = 0; l < run.model().num_layers; ++l)
      for (int h = 0; h < run.model().num_heads; ++h) heads.emplace_back(l, h);
    return heads;
  }
  for (const std::string& item : split(spec, ',')) {
    const auto colon = item.find(':');
    if (colon == std::string::npos)
      throw Error("invalid head '" + item + "' (expected LAYER:HEAD, e.g. 2:1)");
    const Head h{parse_int(item.substr(0, colon), "layer in head '" + item + "'"),
                 parse_int(item.substr(colon + 1), "head in head '" + item + "'")};
    check_head(run, h.first, h.second);
    if (std::find(heads.begin(), heads.end(), h) == heads.end()) heads.push_back(h);
  }
  return heads;
}

std::vector<LayoutMethod> parse_method_list(const std::string& spec) {
  std::vector<LayoutMethod> methods;
  for (const std::string& name : split(spec, ',')) {
    const LayoutMethod m = parse_layout_method(name);
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  }
  if (methods.empty()) throw Error("no layout method given (expected tsne, umap or pca)");
  return methods;
}

std::vector<int> parse_dim_list(const std::string& spec) {
  std::vector<int> dims;
  for (const std::string& item : split(spec, ',')) {
    const int d = parse_int(item, "dimension");
    if (d != 2 && d != 3) throw Error("invalid dimension " + item + " (expected 2 or 3)");
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) dims.push_back(d);
  }
  if (dims.empty()) throw Error("no dimension given (expected 2, 3 or 2,3)");
  return dims;
}

LayoutJobResult run_layout_job(const LayoutJobOptions& options) {
  const auto run = Run::open(options.run_dir);
  std::vector<Head> heads = options.heads;
  if (heads.empty()) heads = parse_head_list("all", *run);
  for (const Head& h : heads) check_head(*run, h.first, h.second);
  for (int d : options.dims)
    if (d != 2 && d != 3) throw Error("invalid dimension " + std::to_string(d) + " (expected 2 or 3)");
  if (options.methods.empty() || options.dims.empty()) throw Error("no layout requested");
  if (run->num_tokens() < 8) throw Error(run->dir().string() + ": too few tokens to lay out");
  const fs::path dir = run->dir() / "layouts";

  // Files in the order they are written.
  const std::vector<std::pair<LayoutMethod, int>> order = {{LayoutMethod::PCA, 2},  {LayoutMethod::PCA, 3},
                                                           {LayoutMethod::TSNE, 2}, {LayoutMethod::UMAP, 2},
                                                           {LayoutMethod::TSNE, 3}, {LayoutMethod::UMAP, 3}};
  std::vector<FileJob> files;
  LayoutJobResult result;
  int64_t units = 0;
  for (const auto& [method, dim] : order) {
    if (std::find(options.methods.begin(), options.methods.end(), method) == options.methods.end() ||
        std::find(options.dims.begin(), options.dims.end(), dim) == options.dims.end())
      continue;
    FileJob f{method, dim, layout_file_name(method, dim), {}, 0, 0, {}};
    const std::vector<Head> stored =
        options.force ? std::vector<Head>{}
                      : LayoutFile::read(*run, layout_file_path(run->dir(), method, dim), dim).heads();
    for (const Head& h : heads) {
      if (std::find(stored.begin(), stored.end(), h) != stored.end()) {
        ++f.done;
        ++result.heads_skipped;
      } else {
        f.todo.insert(h);
      }
    }
    f.total = static_cast<int>(heads.size());
    units += static_cast<int64_t>(f.todo.size());
    files.push_back(std::move(f));
  }
  fs::create_directories(dir);
  const int threads = options.threads > 0 ? options.threads : default_threads();
  JobState state(options, dir, files, units);
  state.write_progress_now();

  std::set<Head> seen;  // heads whose input metrics were computed in this job
  NeighbourCache neighbours;
  // Phases, each file written when its phase completes: PCA (both dimensions, instant), then one per t-SNE
  // or UMAP file in the order above, so the page's default (t-SNE 2D) is complete first. A head's neighbour
  // graph is kept for its later phases.
  std::vector<std::vector<FileJob*>> phases(1);
  for (FileJob& f : files) {
    if (f.method == LayoutMethod::PCA)
      phases[0].push_back(&f);
    else
      phases.push_back({&f});
  }
  for (size_t phase_index = 0; phase_index < phases.size(); ++phase_index) {
    std::vector<FileJob*>& phase = phases[phase_index];
    std::vector<Head> work;
    for (const Head& h : heads)
      if (std::any_of(phase.begin(), phase.end(), [&](FileJob* f) { return f->todo.count(h) > 0; }))
        work.push_back(h);
    if (work.empty()) continue;
    const int outer = std::min<int>(threads, static_cast<int>(work.size()));
    const int inner = std::max(1, threads / outer);
    std::vector<uint8_t> base(work.size()), keep(work.size()), tsne(work.size());
    for (size_t i = 0; i < work.size(); ++i) {
      const Head& h = work[i];
      base[i] = seen.insert(h).second ? 1 : 0;
      // Every later phase is one t-SNE or UMAP file.
      keep[i] = std::any_of(phases.begin() + static_cast<int64_t>(phase_index) + 1, phases.end(),
                            [&](const std::vector<FileJob*>& later) { return later[0]->todo.count(h) > 0; });
      tsne[i] = std::any_of(files.begin(), files.end(), [&](const FileJob& f) {
        return f.method == LayoutMethod::TSNE && f.todo.count(h) > 0;
      });
    }
    // Heads go to whichever thread is free next (their costs differ); each head's result depends only on it.
    std::atomic<size_t> next{0};
    parallel_for(outer, outer, [&](int64_t) {
      for (size_t i = next++; i < work.size(); i = next++) {
        try {
          process_head(*run, work[i], phase, options, inner, base[i] != 0, neighbours, keep[i] != 0,
                       tsne[i] != 0, state);
        } catch (...) {
          next = work.size();  // the other threads stop after their current head
          throw;
        }
      }
    });
    for (FileJob* f : phase) {
      if (f->todo.empty()) continue;
      write_layout_file(*run, f->method, f->dim, f->computed);
      f->computed.clear();
      result.written.push_back(f->name);
    }
    state.write_metrics();
    state.write_progress_now();
  }
  result.heads_computed = static_cast<int>(seen.size());
  state.write_progress_now();
  return result;
}

}  // namespace attnviz
