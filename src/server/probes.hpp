#pragma once
// Probes (docs/api.md, "Probes"): a new input run through the run's own model while the server runs, kept in
// a bounded in-memory cache (least recently used) for the routes that place it and show its attention. The
// model is found from the manifest's model.source (or `attnviz serve --model`), loaded on the first probe
// (serving stays instant) and checked against model.fingerprint. Only probes wait for the load; the forward
// pass holds no lock, so other requests are never blocked by one.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model.hpp"
#include "run/run.hpp"

namespace attnviz::server {

// Probes kept at once: each holds every layer's q and k of its tokens (brown-gpt, 30 tokens: ~0.4 MiB).
constexpr size_t kMaxProbes = 64;
// The most tokens of one text probe (more are cut, and the probe says "truncated"): its attention is T × T
// per head, so a model with 131k positions must not let one request ask for 131k².
constexpr int kMaxProbeTokens = 1024;

struct Probe {
  std::string id;
  std::vector<std::string> tokens;
  std::vector<int32_t> positions;
  std::vector<uint8_t> special;  // 1 for special tokens ([CLS], [SEP], <|endoftext|>, the class token)
  bool truncated = false;
  int tokens_count() const { return static_cast<int>(tokens.size()); }
  // per layer: q [num_heads, T, head_dim], k (and v when the run holds values) [num_kv_heads, T, head_dim]
  std::vector<LayerCapture> layers;
  nlohmann::json description() const;  // {"id", "tokens", "positions", "special", "token_count", "truncated"}
};

class Probes {
 public:
  // model: `attnviz serve --model` (a folder or hub id); empty: the manifest's model.source.
  Probes(std::shared_ptr<const Run> run, std::string model);
  ~Probes();

  // Whether probing can be tried, and if not why (for /api/run): a model is named and, for a folder, exists.
  bool available() const { return unavailable_.empty(); }
  const std::string& unavailable_reason() const { return unavailable_; }

  // Runs the JSON body of POST /api/probe: HttpError 400 for bad input, 409 when there is no usable model.
  std::shared_ptr<const Probe> create(const std::string& body);
  // HttpError 404 when the id is unknown (never made, or evicted).
  std::shared_ptr<const Probe> get(const std::string& id);

 private:
  struct Loaded;
  std::shared_ptr<const Loaded> load();

  std::shared_ptr<const Run> run_;
  std::string model_, unavailable_;
  std::mutex load_mutex_;  // held while the model loads: only probes wait for it
  std::shared_ptr<const Loaded> loaded_;
  std::string load_error_;                         // a failed load is not retried on every probe
  std::mutex cache_mutex_;                         // the cache only: never held during a forward pass
  std::list<std::shared_ptr<const Probe>> cache_;  // most recent first
  uint64_t next_id_ = 0, id_salt_ = 0;
};

}  // namespace attnviz::server
