#include "layout/heads_file.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

constexpr const char* kFormat = "attnviz-heads";
constexpr int kVersion = 1;

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nullptr; }

// FNV-1a, 64 bits, as 16 hex digits.
std::string fnv1a(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

bool is_probability(const nlohmann::json& v) {
  return v.is_null() || (v.is_number() && v.get<double>() >= 0 && v.get<double>() <= 1);
}

// Every check of a document against the run; the first failure as an Error.
void validate(const nlohmann::json& doc, const Run& run, const std::string& where) {
  const auto fail = [&](const std::string& why) { throw Error(where + ": " + why); };
  if (!doc.is_object() || doc.value("format", "") != kFormat) fail("not an attnviz heads file");
  if (doc.value("version", 0) != kVersion) fail("format version is not " + std::to_string(kVersion));
  if (doc.value("run", "") != heads_run_stamp(run)) fail("stale: made from other vectors than the run's");
  const size_t n = static_cast<size_t>(run.model().num_layers) * run.model().num_heads;
  const auto& heads = doc.at("heads");
  if (!heads.is_array() || heads.size() != n) fail("\"heads\" must list " + std::to_string(n) + " heads");
  for (size_t i = 0; i < n; ++i) {
    const auto& h = heads[i];
    if (!h.is_object() || h.value("layer", -1) != int(i) / run.model().num_heads ||
        h.value("head", -1) != int(i) % run.model().num_heads)
      fail("head " + std::to_string(i) + " is not in layer-major order");
    const auto& scores = h.at("scores");
    if (!scores.is_object() || scores.size() != kHeadTypes)
      fail("head " + std::to_string(i) + ": bad scores");
    for (std::string_view name : kHeadTypeNames)
      if (!scores.contains(name) || !is_probability(scores.at(name)))
        fail("head " + std::to_string(i) + ": score " + std::string(name) + " must be null or in [0, 1]");
    // The fingerprint is optional (files written before it still read); when present, every entry a mass.
    const auto fingerprint = h.find("fingerprint");
    if (fingerprint != h.end() &&
        (!fingerprint->is_array() || fingerprint->size() != kFingerprintSize ||
         !std::all_of(fingerprint->begin(), fingerprint->end(),
                      [](const nlohmann::json& v) { return v.is_number() && is_probability(v); })))
      fail("head " + std::to_string(i) + ": \"fingerprint\" must be " + std::to_string(kFingerprintSize) +
           " numbers in [0, 1]");
    const auto& map = h.at("map");
    if (!map.is_array() || map.size() != 2 || !map[0].is_number() || !map[1].is_number())
      fail("head " + std::to_string(i) + ": \"map\" must be [x, y]");
  }
  const auto& order = doc.at("order");
  std::vector<bool> seen(n, false);
  if (!order.is_array() || order.size() != n) fail("\"order\" must list every head once");
  for (const auto& v : order) {
    if (!v.is_number_unsigned() || v.get<size_t>() >= n || seen[v.get<size_t>()])
      fail("\"order\" must list every head once");
    seen[v.get<size_t>()] = true;
  }
  const auto& divergence = doc.at("divergence");
  if (!divergence.is_array() || divergence.size() != n)
    fail("\"divergence\" must be " + std::to_string(n) + " rows");
  for (const auto& row : divergence) {
    if (!row.is_array() || row.size() != n) fail("\"divergence\" must be " + std::to_string(n) + " rows");
    for (const auto& v : row)
      if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= std::log(2.0) + 1e-9))
        fail("divergences must be numbers in [0, ln 2]");
  }
}

}  // namespace

fs::path heads_file_path(const fs::path& run_dir) { return run_dir / "layouts" / "heads.json"; }

std::string heads_run_stamp(const Run& run) {
  std::error_code error;
  const auto bytes = fs::file_size(run.dir() / "qk.safetensors", error);
  return fnv1a(run.manifest().dump()) + "-" + std::to_string(error ? 0 : bytes);
}

nlohmann::json heads_json(const Run& run, const HeadsMap& map) {
  nlohmann::json thresholds = nlohmann::json::object(), heads = nlohmann::json::array();
  for (int t = 0; t < kHeadTypes; ++t) thresholds[std::string(kHeadTypeNames[t])] = kHeadTypeThresholds[t];
  for (const HeadSummary& h : map.heads) {
    nlohmann::json scores = nlohmann::json::object();
    for (int t = 0; t < kHeadTypes; ++t)
      scores[std::string(kHeadTypeNames[t])] = optional_number(h.scores[t]);
    heads.push_back({{"layer", h.layer},
                     {"head", h.head},
                     {"scores", std::move(scores)},
                     {"type", h.type ? nlohmann::json(kHeadTypeNames[static_cast<int>(*h.type)]) : nullptr},
                     {"map", h.map},
                     {"offsets", h.offsets},
                     {"fingerprint", h.fingerprint}});
  }
  const size_t n = map.heads.size();
  nlohmann::json divergence = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i)
    divergence.push_back(
        std::vector<double>(map.divergence.begin() + i * n, map.divergence.begin() + (i + 1) * n));
  return {{"format", kFormat},
          {"version", kVersion},
          {"run", heads_run_stamp(run)},
          {"sample",
           {{"seed", map.seed},
            {"sequences", map.sample_sequences},
            {"tokens", map.sample_tokens},
            {"queries", map.sample_queries}}},
          {"thresholds", std::move(thresholds)},
          {"heads", std::move(heads)},
          {"order", map.order},
          {"divergence", std::move(divergence)}};
}

uint64_t heads_file_bytes(const Run& run) {
  // Step 1: a head whose every figure takes the most characters a double is written with (a sign, 17 digits,
  // an exponent), its layer and head as wide as any index of the run, the longest type name.
  constexpr double kWidest = -1.2345678901234567e-300;
  const int n = run.model().num_layers * run.model().num_heads;
  HeadSummary widest;
  widest.layer = widest.head = n;
  widest.scores.fill(kWidest);
  size_t longest = 0;
  for (int t = 0; t < kHeadTypes; ++t)
    if (kHeadTypeNames[t].size() > kHeadTypeNames[longest].size()) longest = static_cast<size_t>(t);
  widest.type = static_cast<HeadType>(longest);
  widest.map = {kWidest, kWidest};
  widest.offsets.fill(kWidest);
  widest.fingerprint.fill(kWidest);
  // Step 2: the document without heads, and what one head adds (its entry, its index in the order, a row of
  // one divergence); each further pair of heads adds one divergence. Separators: one comma per element.
  HeadsMap none;
  none.seed = ~0u;
  none.sample_sequences = none.sample_tokens = none.sample_queries = INT64_MAX;
  HeadsMap one = none;
  one.heads = {widest};
  one.divergence = {kWidest};
  one.order = {n};
  const uint64_t base = heads_json(run, none).dump().size() + 1;  // + the final newline
  const uint64_t head = heads_json(run, one).dump().size() + 1 - base + 3;
  const uint64_t pair = nlohmann::json(kWidest).dump().size() + 1;
  const uint64_t heads = static_cast<uint64_t>(n);
  return base + heads * head + heads * heads * pair;
}

void write_heads_file(const Run& run, const HeadsMap& map) {
  const fs::path path = heads_file_path(run.dir());
  fs::create_directories(path.parent_path());
  write_file_atomic(path, heads_json(run, map).dump() + "\n");
}

nlohmann::json read_heads_file(const Run& run) {
  const fs::path path = heads_file_path(run.dir());
  if (!fs::exists(path)) throw Error(path.string() + ": no heads map yet (attnviz layout writes it)");
  nlohmann::json doc = read_json_file(path);
  try {
    validate(doc, run, path.string());
  } catch (const nlohmann::json::exception&) {
    throw Error(path.string() + ": a field is missing or of the wrong type");
  }
  return doc;
}

bool heads_file_fresh(const Run& run) {
  try {
    // A file from before the fingerprint still serves /api/heads, but the next layout job completes it.
    return read_heads_file(run)["heads"][0].contains("fingerprint");
  } catch (const Error&) {
    return false;
  }
}

}  // namespace attnviz
