#include "server/probes.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>

#include "core/error.hpp"
#include "core/half.hpp"
#include "core/json.hpp"
#include "image/image.hpp"
#include "model/fingerprint.hpp"
#include "model/hub.hpp"
#include "run/encode.hpp"
#include "server/http_util.hpp"
#include "server/probe_request.hpp"

namespace attnviz::server {

namespace fs = std::filesystem;

struct Probes::Loaded {
  std::unique_ptr<Model> model;
  std::optional<Tokenizer> tokenizer;
  std::optional<PreprocessConfig> preprocess;
};

nlohmann::json Probe::description() const {
  return {{"id", id},
          {"tokens", tokens},
          {"positions", positions},
          {"special", special},
          {"token_count", tokens.size()},
          {"truncated", truncated}};
}

Probes::Probes(std::shared_ptr<const Run> run, std::string model)
    : run_(std::move(run)), model_(std::move(model)) {
  if (model_.empty()) model_ = run_->model().source;
  std::error_code ec;
  if (model_.empty())
    unavailable_ =
        "the run does not record its model (extracted before attnviz did); serve it with --model MODEL";
  else if (model_.front() == '/' && !fs::exists(model_, ec))
    unavailable_ = "the run's model " + model_ + " is not there any more; serve it with --model MODEL";
  std::random_device seed;
  id_salt_ = (uint64_t{seed()} << 32) ^ seed();
}

Probes::~Probes() = default;

std::shared_ptr<const Probes::Loaded> Probes::load() {
  if (!available()) throw HttpError(409, "probing is unavailable: " + unavailable_);
  std::lock_guard lock(load_mutex_);
  if (loaded_) return loaded_;
  if (!load_error_.empty()) throw HttpError(409, load_error_);
  try {
    const fs::path dir = resolve_model(model_);
    const std::string& expected = run_->model().fingerprint;
    if (!expected.empty()) {
      const std::string found = model_fingerprint(dir);
      if (found != expected)
        throw Error("the model " + model_ + " has fingerprint " + found +
                    ", but the run was extracted with " + expected + ": not the same weights");
    }
    auto loaded = std::make_shared<Loaded>();
    loaded->model = load_model(dir);
    const RunModel shape = run_model(loaded->model->config()), &want = run_->model();
    if (shape.num_layers != want.num_layers || shape.num_heads != want.num_heads ||
        shape.num_kv_heads != want.num_kv_heads || shape.head_dim != want.head_dim ||
        shape.modality != want.modality)
      throw Error("the model " + model_ + " does not have the run's layers, heads and head size");
    loaded->tokenizer = load_tokenizer_if_any(dir);
    if (want.modality == "image") loaded->preprocess = load_preprocess_config(dir);
    loaded_ = std::move(loaded);
    return loaded_;
  } catch (const Error& e) {
    load_error_ = std::string("probing is unavailable: ") + e.what();
    throw HttpError(409, load_error_);
  }
}

std::shared_ptr<const Probe> Probes::create(const std::string& body) {
  const bool image_run = run_->model().modality == "image";
  const ProbeRequest in = parse_probe_request(body, image_run);
  const std::shared_ptr<const Loaded> loaded = load();
  const ModelConfig& config = loaded->model->config();
  EncodedDataset data;
  try {
    data = encode_probe(in.item, config, loaded->tokenizer ? &*loaded->tokenizer : nullptr, kMaxProbeTokens);
    if (image_run)
      data.inputs[0].pixel_values =
          preprocess_image(decode_image_memory(reinterpret_cast<const uint8_t*>(in.image.data()),
                                               in.image.size(), "from the request"),
                           *loaded->preprocess, config.num_channels);
  } catch (const Error& e) {
    throw HttpError(400, e.what());
  }
  Capture capture = loaded->model->forward(data.inputs[0], {.values = run_->has_values()});
  auto probe = std::make_shared<Probe>();
  probe->tokens = std::move(data.tokens.token);
  probe->positions = std::move(data.tokens.position);
  probe->special = std::move(data.tokens.special);
  probe->truncated = !data.truncated.empty();
  probe->layers = std::move(capture.layers);
  // The run stores q and k as F16 (usually): rounded the same way, a sentence of the dataset gives its own
  // vectors, and so its own points, back.
  if (run_->manifest()["qk"].value("dtype", "") == "F16")
    for (LayerCapture& layer : probe->layers)
      for (std::vector<float>* v : {&layer.q, &layer.k, &layer.v})
        for (float& x : *v) x = f16_to_f32(f32_to_f16(x));
  std::lock_guard lock(cache_mutex_);
  char id[24];
  std::snprintf(id, sizeof id, "%016llx",
                static_cast<unsigned long long>((next_id_++ * 0x9E3779B97F4A7C15ull) ^ id_salt_));
  probe->id = id;
  cache_.push_front(probe);
  if (cache_.size() > kMaxProbes) cache_.pop_back();
  return probe;
}

std::shared_ptr<const Probe> Probes::get(const std::string& id) {
  std::lock_guard lock(cache_mutex_);
  for (auto it = cache_.begin(); it != cache_.end(); ++it)
    if ((*it)->id == id) {
      cache_.splice(cache_.begin(), cache_, it);
      return cache_.front();
    }
  throw HttpError(404, "no probe " + printable(id) + " (unknown, or dropped from the cache of the " +
                           std::to_string(kMaxProbes) + " most recent)");
}

}  // namespace attnviz::server
