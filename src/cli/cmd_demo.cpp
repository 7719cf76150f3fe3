// attnviz demo: a bundled model over a bundled dataset, extracted and laid out into a cache folder, then
// served. The page is usable once the quick PCA layouts exist; t-SNE and UMAP fill in while it is open.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "cli/commands.hpp"
#include "cli/demo_data.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/json.hpp"
#include "layout/layout_job.hpp"
#include "run/extract.hpp"
#include "run/run.hpp"
#include "server/server.hpp"

namespace attnviz::cli {
namespace fs = std::filesystem;

namespace {

struct DemoOptions {
  std::string model = "brown-gpt";
  ServerOptions server;  // all but run_dir
  fs::path cache;
  bool fresh = false;
  int threads = 0;
};

fs::path default_cache() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "attnviz";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "attnviz";
  return fs::temp_directory_path() / "attnviz-cache";
}

// Caches made before runs recorded their model and layouts stored what placing a probe needs lack both:
// part of the stamp below, so they are rebuilt once.
constexpr int kProbeReady = 1;

// What a cached run was made from: a change to any of it makes the cache stale.
std::string fingerprint(const DemoSpec& spec, const fs::path& model_dir) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& entry : fs::directory_iterator(model_dir))
    if (entry.is_regular_file()) files[entry.path().filename().string()] = entry.file_size();
  return nlohmann::json{{"attnviz", ATTNVIZ_VERSION},
                        {"model", spec.model},
                        {"inputs", spec.inputs},
                        {"files", files},
                        {"probe_ready", kProbeReady}}
      .dump();
}

void ensure_writable(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || access(dir.c_str(), W_OK) != 0)
    throw Error("the demo cache " + dir.string() + " is not writable; pass --cache DIR");
}

// The cached run if it is complete, readable and made from the same model and data; else a fresh one.
fs::path prepare_run(const DemoSpec& spec, const fs::path& bundle, const fs::path& cache, bool fresh,
                     int threads) {
  const fs::path dir = cache / spec.model, run = dir / "run", stamp = dir / "fingerprint.json";
  const fs::path model_dir = bundle / "models" / spec.model;
  if (!fs::is_directory(model_dir)) throw Error("the bundled model " + model_dir.string() + " is missing");
  const std::string wanted = fingerprint(spec, model_dir);
  if (!fresh && fs::exists(run)) {
    try {
      Run::open(run);
      if (fs::exists(stamp) && read_file(stamp) == wanted) return run;
      std::fprintf(stderr, "attnviz demo: the cached run was made from other files; rebuilding it\n");
    } catch (const Error& e) {
      std::fprintf(stderr, "attnviz demo: the cached run is unreadable (%s); rebuilding it\n", e.what());
    }
  }
  fs::remove_all(dir);
  ensure_writable(dir);
  ExtractOptions extract_options;
  extract_options.model_dir = model_dir;
  extract_options.input = write_demo_input(spec, bundle, dir / "input");
  extract_options.out = run;
  extract_options.threads = threads;
  extract(extract_options);
  write_file_atomic(stamp, wanted);
  return run;
}

void run_demo(const DemoOptions& options) {
  install_interrupt_handler();
  install_mapped_file_guard("the model's checkpoint");
  const DemoSpec& spec = demo_spec(options.model);
  const fs::path bundle = bundle_root();
  const fs::path cache = options.cache.empty() ? default_cache() : options.cache;
  ensure_writable(cache);
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const fs::path run = prepare_run(spec, bundle, cache, options.fresh, options.threads);

  // The server lays out on demand (PCA in a blink) whatever the job below has not written yet.
  ServerOptions server_options = options.server;
  server_options.run_dir = run;
  server_options.model = (bundle / "models" / spec.model).string();  // probes run the bundled model
  Server server(server_options);
  server.start();
  std::printf("attnviz demo: %s ready at %s (%.1f s)\n", spec.model.c_str(), server.url().c_str(), elapsed());
  std::fflush(stdout);

  LayoutJobOptions layout_options;
  layout_options.run_dir = run;
  layout_options.methods = {LayoutMethod::PCA, LayoutMethod::TSNE, LayoutMethod::UMAP};
  layout_options.threads = options.threads;
  try {
    run_layout_job(layout_options);
  } catch (const Error&) {
    if (!interrupted()) throw;
    return;  // Ctrl-C while the layouts were computing: `server` stops as it goes out of scope
  }
  std::printf("attnviz demo: every layout is ready (%.1f s); Ctrl-C stops the server\n", elapsed());
  std::fflush(stdout);
  while (!interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Extract, lay out and serve a bundled model over a bundled dataset");
  cmd->add_option("--model", options->model, "brown-gpt, brown-bert or mnist-vit")->capture_default_str();
  add_server_options(cmd, options->server);
  cmd->add_option("--cache", options->cache,
                  "Cache folder (default: $XDG_CACHE_HOME/attnviz or ~/.cache/attnviz)");
  cmd->add_flag("--fresh", options->fresh, "Ignore the cache and compute everything again");
  cmd->add_option("--threads", options->threads, "Threads (0: every core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->callback([options] {
    options->threads = compute_threads(options->threads);
    finish_server_options(options->server);
    run_demo(*options);
  });
}

}  // namespace attnviz::cli
