#include "run/extract.hpp"

#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "core/disk.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/parallel.hpp"
#include "core/process.hpp"
#include "core/progress.hpp"
#include "image/image.hpp"
#include "model/checkpoint.hpp"
#include "model/fingerprint.hpp"
#include "run/encode.hpp"
#include "run/estimate.hpp"
#include "run/induction.hpp"
#include "run/run_writer.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

void check_options(const ExtractOptions& o) {
  if (o.dtype != DType::F16 && o.dtype != DType::F32)
    throw Error(std::string("q and k are stored as F16 or F32, not ") + dtype_name(o.dtype));
  if (o.threads < 0) throw Error("the thread count must be 0 (every core) or more");
  if (o.batch_tokens < 1) throw Error("a batch must hold at least one token");
  if (o.max_tokens < 0) throw Error("the token budget must be 0 (none) or more");
}

// "runs/x/" and "runs/x" name the same folder; "." and ".." name none that could be replaced.
fs::path output_path(const fs::path& out) {
  fs::path path = out.lexically_normal();
  if (!path.has_filename()) path = path.parent_path();
  if (path.empty() || path.filename() == "." || path.filename() == "..")
    throw Error(out.string() + " does not name a folder that a run could be written to");
  return path;
}

// An existing run is replaced only when asked (force), and only if it is a run (or empty), never another
// folder.
void check_out(const fs::path& out, bool force) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return;
  if (!force) throw Error(out.string() + " already exists");
  if (!fs::is_directory(out) || !(fs::exists(out / "manifest.json") || fs::is_empty(out)))
    throw Error(out.string() + " exists and is not an attnviz run; not replacing it");
}

// "runs/x.lock", beside the run: held by the extract writing runs/x (docs/format.md, "Writing safely").
// Creates the folder it goes in.
fs::path run_lock_path(const fs::path& out) {
  std::error_code ec;
  if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
  if (ec) throw Error("cannot create " + out.parent_path().string() + ": " + ec.message());
  fs::path path = out;
  path += ".lock";
  return path;
}

// The staging folders "runs/x.tmp-<pid>" of extracts that were killed; said on stderr.
void remove_stale_staging(const fs::path& out) {
  for (const fs::path& path : remove_stale_temporaries(out))
    std::fprintf(stderr, "attnviz: removed %s, left behind by an extract that no longer runs\n",
                 path.c_str());
}

void warn_truncated(const EncodedDataset& data, int max_length) {
  if (data.truncated.empty()) return;
  std::string names;
  const size_t shown = std::min<size_t>(data.truncated_origins.size(), 10);
  for (size_t i = 0; i < shown; ++i) names += (i ? ", " : "") + data.truncated_origins[i];
  if (shown < data.truncated_origins.size())
    names += " and " + std::to_string(data.truncated_origins.size() - shown) + " more";
  std::fprintf(stderr, "attnviz: warning: %zu input(s) cut to the maximum length of %d tokens: %s\n",
               data.truncated.size(), max_length, names.c_str());
}

// The size of the model's weight files (one, or the shards of its index).
uint64_t checkpoint_bytes(const fs::path& model_dir) {
  uint64_t bytes = 0;
  const Checkpoint checkpoint = Checkpoint::open(model_dir);
  for (const auto& file : checkpoint.files()) bytes += fs::file_size(file->path());
  return bytes;
}

}  // namespace

ExtractResult extract(const ExtractOptions& o) {
  check_options(o);
  const fs::path out = output_path(o.out);
  // Held until the run is in place, so that a second extract to the same folder fails instead of both
  // "succeeding"; the folder is checked under it.
  const FileLock lock(run_lock_path(out), out.string());
  check_out(out, o.force);
  remove_stale_staging(out);
  const InputSet inputs = read_inputs(o.input);
  const fs::path& model_dir = o.model_dir;
  const std::unique_ptr<Model> model = load_model(model_dir);
  const ModelConfig& config = model->config();
  const std::optional<Tokenizer> tokenizer = load_tokenizer_if_any(model_dir);
  EncodedDataset data =
      encode_inputs(inputs, config, tokenizer ? &*tokenizer : nullptr, {o.max_length, o.max_tokens});
  warn_truncated(data, o.max_length);
  std::optional<PreprocessConfig> preprocess;
  if (config.modality == Modality::Image) preprocess = load_preprocess_config(model_dir);

  const int threads = o.threads > 0 ? o.threads : default_threads();
  openblas_set_num_threads(threads);

  RunContents contents;
  contents.model = run_model(config);
  contents.model.source =
      o.model_source.empty() ? fs::absolute(model_dir).lexically_normal().string() : o.model_source;
  contents.model.fingerprint = model_fingerprint(model_dir);
  contents.dataset = {inputs.source, inputs.kind, static_cast<int64_t>(inputs.items.size()), data.truncated};
  contents.sequences = std::move(data.sequences);
  contents.tokens = std::move(data.tokens);
  contents.dtype = o.dtype;
  contents.values = o.values;
  contents.induction = measure_induction(*model, tokenizer ? &*tokenizer : nullptr);
  const int64_t total_tokens = static_cast<int64_t>(contents.tokens.size());
  // Refused here, before anything is written, when the run cannot fit the disk (the staging folder is a
  // sibling of out: the same filesystem). An existing run at out stays until the new one is complete.
  const ExtractEstimate estimate = estimate_extract(contents, config, model->weight_copy_bytes(),
                                                    checkpoint_bytes(model_dir), o.batch_tokens, threads);
  require_disk_space(out.has_parent_path() ? out.parent_path() : fs::path("."), estimate.files, "this run");
  if (o.progress) std::fprintf(stderr, "attnviz: %s\n", describe(estimate, out.string()).c_str());

  const auto start = std::chrono::steady_clock::now();
  StagingDir staging(out);
  RunWriter writer(staging.path(), std::move(contents));
  const std::vector<RunSequence>& sequences = writer.contents().sequences;
  std::unique_ptr<Progress> progress;
  if (o.progress) progress = std::make_unique<Progress>("extract", total_tokens, "tokens");
  for (size_t first = 0; first < sequences.size();) {
    throw_if_interrupted();
    const size_t end = batch_end(sequences, first, o.batch_tokens);
    std::span<ModelInput> batch(data.inputs.data() + first, end - first);
    if (preprocess)
      parallel_for(static_cast<int64_t>(batch.size()), threads, [&](int64_t i) {
        batch[i].pixel_values =
            preprocess_image(decode_image(data.images[first + i]), *preprocess, config.num_channels);
      });
    const std::vector<Capture> captures = model->forward_batch(batch, {.values = o.values});
    // Converting to f16 and writing is independent per (sequence, layer): spread it over the threads.
    const int64_t layers = config.num_layers;
    parallel_for(static_cast<int64_t>(captures.size()) * layers, threads, [&](int64_t i) {
      const LayerCapture& c = captures[i / layers].layers[i % layers];
      writer.write(static_cast<int>(first + i / layers), static_cast<int>(i % layers), c.q, c.k, c.v);
    });
    int64_t tokens = 0;
    for (size_t i = 0; i < captures.size(); ++i) {
      tokens += captures[i].tokens;
      batch[i] = {};  // its ids and pixels are no longer needed
    }
    if (progress) progress->advance(tokens);
    first = end;
  }
  throw_if_interrupted();
  writer.finish();
  staging.commit();
  if (progress) progress->finish();
  const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
  return {static_cast<int64_t>(sequences.size()), total_tokens, seconds.count()};
}

}  // namespace attnviz
