#include "server/api.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/parallel.hpp"
#include "image/image.hpp"
#include "layout/heads_file.hpp"
#include "layout/progress_file.hpp"
#include "run/run_writer.hpp"
#include "server/byte_range.hpp"
#include "server/compact_layouts.hpp"
#include "server/http_util.hpp"
#include "server/neighbours.hpp"
#include "server/server.hpp"
#include "server/static_files.hpp"

namespace attnviz::server {

namespace fs = std::filesystem;

namespace {

constexpr LayoutMethod kMethods[] = {LayoutMethod::PCA, LayoutMethod::TSNE, LayoutMethod::UMAP};
constexpr int kDims[] = {2, 3};

// The folder the run's images were read from (docs/format.md, dataset.source: the folder, or the .jsonl
// file's folder); empty when the manifest does not say. A relative source (runs extracted before attnviz
// recorded it absolute) is taken from the current folder.
fs::path image_folder(const nlohmann::json& manifest) {
  const auto dataset = manifest.find("dataset");
  if (dataset == manifest.end() || !dataset->is_object() || !dataset->contains("source") ||
      !(*dataset)["source"].is_string())
    return {};
  const std::string source = (*dataset)["source"].get<std::string>();
  if (source.empty()) return {};
  std::error_code error;
  fs::path path = fs::absolute(source, error).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();  // "digits/": the folder itself
  return dataset->value("kind", "") == "images" ? path : path.parent_path();
}

// /api/heads from a validated layouts/heads.json: each head's layer, head, scores, type and map; the order
// and the divergence matrix.
std::shared_ptr<const std::string> heads_reply(const Run& run) {
  const nlohmann::json doc = read_heads_file(run);
  nlohmann::json heads = nlohmann::json::array();
  for (const nlohmann::json& h : doc["heads"])
    heads.push_back({{"layer", h["layer"]},
                     {"head", h["head"]},
                     {"scores", h["scores"]},
                     {"type", h["type"]},
                     {"map", h["map"]}});
  const nlohmann::json reply = {
      {"heads", std::move(heads)}, {"order", doc["order"]}, {"divergence", doc["divergence"]}};
  return std::make_shared<const std::string>(reply.dump());
}

LayoutMethod parse_method(const std::string& text) {
  try {
    return parse_layout_method(text);
  } catch (const Error& e) {
    throw HttpError(404, e.what());
  }
}

int parse_dim(const std::string& text) {
  int dim = parse_index(text, INT_MAX, "dimension");
  if (dim != 2 && dim != 3) throw HttpError(404, "no dimension " + text + " (valid: 2, 3)");
  return dim;
}

// A query parameter given at most once: `fallback` when absent, 400 when repeated.
std::string single_param(const httplib::Request& req, const char* name, const char* fallback) {
  const size_t count = req.get_param_value_count(name);
  if (count > 1)
    throw HttpError(400, std::string("?") + name + "= given " + std::to_string(count) + " times");
  return count == 0 ? fallback : req.get_param_value(name);
}

// ?k=: an integer from 1 to kMaxNeighbours, 400 otherwise.
int parse_neighbour_count(const std::string& text) {
  int k = 0;
  try {
    k = parse_index(text, kMaxNeighbours + 1, "k");
  } catch (const HttpError&) {
  }
  if (k < 1)
    throw HttpError(
        400, "k must be an integer from 1 to " + std::to_string(kMaxNeighbours) + ", not " + printable(text));
  return k;
}

// ?layout=: a layout file's name (layout_file_name: "tsne-2d"); 400 when not of that form, 404 for a method
// or dimension that does not exist.
std::pair<LayoutMethod, int> parse_layout_name(const std::string& text) {
  const size_t dash = text.rfind('-');
  if (dash == std::string::npos || text.size() < dash + 2 || text.back() != 'd')
    throw HttpError(400, "malformed layout " + printable(text) + ": expected {method}-{dim}d, e.g. tsne-2d");
  return {parse_method(text.substr(0, dash)), parse_dim(text.substr(dash + 1, text.size() - dash - 2))};
}

// Answers HttpError with its status, any other failure (a broken run file) with 500; one-line JSON either
// way.
template <typename F>
void guarded_call(httplib::Response& res, F&& handler) {
  try {
    handler();
  } catch (const HttpError& e) {
    reply_error(res, e.status, e.what());
  } catch (const std::exception& e) {
    reply_error(res, 500, e.what());
  }
}

// `handler` under `prefix`: it sees the request with `prefix` written as "/api".
httplib::Server::Handler guarded(void (Api::*handler)(const httplib::Request&, httplib::Response&), Api* api,
                                 const std::string& prefix) {
  if (prefix == "/api") {
    return [handler, api](const httplib::Request& req, httplib::Response& res) {
      guarded_call(res, [&] { (api->*handler)(req, res); });
    };
  }
  return [handler, api, prefix](const httplib::Request& req, httplib::Response& res) {
    httplib::Request as_api = req;
    as_api.path = "/api" + req.path.substr(prefix.size());
    guarded_call(res, [&] { (api->*handler)(as_api, res); });
  };
}

// `prefix` as a regular expression: '.', the one character of a run name that means something there, escaped.
std::string route_prefix(const std::string& prefix) {
  std::string pattern;
  for (char c : prefix) pattern += c == '.' ? std::string("[.]") : std::string(1, c);
  return pattern;
}

// The body of a request, at most kMaxRequestBodyBytes: 413 beyond (httplib stops reading there itself), or
// when it could not be read whole.
std::string read_body(const httplib::ContentReader& read) {
  const auto too_large = [] {
    return HttpError(413, "request body larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes");
  };
  std::string body;
  const bool complete = read([&](const char* data, size_t size) {
    if (body.size() + size > kMaxRequestBodyBytes) return false;
    body.append(data, size);
    return true;
  });
  if (!complete) throw too_large();
  return body;
}

}  // namespace

Api::Api(std::shared_ptr<const Run> run, std::string model)
    : run_(std::move(run)),
      stored_(run_),
      computed_(run_),
      json_files_(
          [](const fs::path& path) { return std::make_shared<const nlohmann::json>(read_json_file(path)); }),
      heads_reply_([this](const fs::path&) { return heads_reply(*run_); }),
      probes_(run_, std::move(model)),
      probe_layouts_(run_, stored_) {
  tokens_json_ = tokens_json(run_->tokens(), run_->model().modality)
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (run_->model().modality == "image") image_root_ = image_folder(run_->manifest());
  const auto& tokens = run_->tokens().token;
  for (size_t i = 0; i < tokens.size(); ++i)
    search_index_[search_key(tokens[i])].push_back(static_cast<int64_t>(i));
}

void Api::add_routes(httplib::Server& server, const std::string& prefix) {
  const std::string at = route_prefix(prefix);
  const auto get = [&](const char* route, auto handler) {
    server.Get(at + route, guarded(handler, this, prefix));
  };
  get("/run", &Api::run_info);
  get("/tokens", &Api::tokens);
  get("/layout/.*", &Api::layout);
  get("/layouts/.*", &Api::all_layouts);
  get("/attention/.*", &Api::attention);
  get("/norms/.*", &Api::norms);
  get("/value-norms/.*", &Api::value_norms);
  get("/search", &Api::search);
  get("/aggregate/.*", &Api::aggregate);
  get("/image/.*", &Api::image);
  get("/heads", &Api::heads);
  get("/neighbours/.*", &Api::neighbours);
  // The one route that takes a body (up to kMaxRequestBodyBytes; httplib answers 413 above it).
  server.Post(at + "/probe",
              [this](const httplib::Request&, httplib::Response& res, const httplib::ContentReader& read) {
                guarded_call(res, [&] { create_probe(read_body(read), res); });
              });
  get("/probe/.*", &Api::probe_routes);
}

void Api::run_info(const httplib::Request&, httplib::Response& res) {
  const RunModel& model = run_->model();
  nlohmann::json layouts = nlohmann::json::array();
  for (LayoutMethod method : kMethods) {
    for (int dim : kDims) {
      auto file = stored_.current(method, dim);
      nlohmann::json entry = {{"method", layout_method_name(method)},
                              {"dim", dim},
                              {"heads_ready", file ? file->heads_ready() : 0},
                              {"heads_total", model.num_layers * model.num_heads}};
      if (file && !file->problem().empty()) entry["problem"] = file->problem();
      layouts.push_back(std::move(entry));
    }
  }
  // A file that is absent, or broken (null, its one-line error in `problems`): the page loads without it.
  nlohmann::json problems = nlohmann::json::array();
  auto optional_json = [this, &problems](const char* name) {
    try {
      auto value = json_files_.get(run_->dir() / "layouts" / name);
      return value ? *value : nlohmann::json(nullptr);
    } catch (const Error& e) {
      problems.push_back(e.what());
      return nlohmann::json(nullptr);
    }
  };
  nlohmann::json metrics = optional_json("metrics.json"), progress = optional_json("progress.json");
  if (progress.is_object()) progress["running"] = progress_writer_running(progress, unix_seconds_now());
  reply_json(res,
             {{"manifest", run_->manifest()},
              {"layouts", std::move(layouts)},
              {"metrics", std::move(metrics)},
              {"progress", std::move(progress)},
              {"problems", std::move(problems)},
              {"probe", {{"available", probes_.available()}, {"reason", probes_.unavailable_reason()}}}});
}

void Api::tokens(const httplib::Request&, httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_content(tokens_json_, "application/json");
}

void Api::layout(const httplib::Request& req, httplib::Response& res) {
  auto params = path_params(req.path, "/api/layout/", 4, "/api/layout/{method}/{dim}/{layer}/{head}");
  const RunModel& model = run_->model();
  LayoutRequest request;
  request.method = parse_method(params[0]);
  request.dim = parse_dim(params[1]);
  request.layer = parse_index(params[2], model.num_layers, "layer");
  request.head = parse_index(params[3], model.num_heads, "head");
  const std::string shape = std::to_string(2 * run_->num_tokens()) + "," + std::to_string(request.dim);
  if (auto file = stored_.file(request.method, request.dim)) {
    auto bytes = file->points_bytes(request.layer, request.head);
    if (!bytes.empty()) return reply_float_bytes(res, bytes, shape);
  }
  reply_floats(res, *computed_.get(request), shape);
}

void Api::all_layouts(const httplib::Request& req, httplib::Response& res) {
  auto params = path_params(req.path, "/api/layouts/", 2, "/api/layouts/{method}/{dim}");
  const LayoutMethod method = parse_method(params[0]);
  const int dim = parse_dim(params[1]);
  const std::string encoding = single_param(req, "encoding", "f32");
  if (encoding != "f32" && encoding != "u16")
    throw HttpError(400, "no encoding " + printable(encoding) + " (valid: f32, u16)");
  const RunModel& model = run_->model();
  const int total = model.num_layers * model.num_heads;
  auto file = stored_.file(method, dim);
  const int ready = file ? file->heads_ready() : 0;
  if (ready < total) {
    throw HttpError(404, "not ready: " + std::to_string(ready) + " of " + std::to_string(total) +
                             " heads of " + params[0] + " " + params[1] +
                             "d are on disk; use /api/layout/ per head");
  }
  if (encoding == "u16")
    return reply_compact_layouts(req, res, file, model.num_heads, total, 2 * run_->num_tokens(), dim);
  // Streamed head by head from the loaded file, which `file` keeps alive even if a newer one replaces it.
  // reply_ranged only asks for bytes inside the total, so every offset falls in one of the heads.
  const uint64_t head_bytes = file->points_bytes(0, 0).size();
  const int heads = model.num_heads;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Attnviz-Shape", std::to_string(total) + "," + std::to_string(2 * run_->num_tokens()) +
                                        "," + std::to_string(dim));
  reply_ranged(req, res, total * head_bytes, "application/octet-stream",
               [file, head_bytes, heads](uint64_t offset, uint64_t length, httplib::DataSink& sink) {
                 const int index = static_cast<int>(offset / head_bytes);
                 const auto head = file->points_bytes(index / heads, index % heads);
                 const uint64_t within = offset % head_bytes;
                 const uint64_t count = std::min(length, head_bytes - within);
                 return sink.write(reinterpret_cast<const char*>(head.data()) + within, count);
               });
}

void Api::attention(const httplib::Request& req, httplib::Response& res) {
  auto params = path_params(req.path, "/api/attention/", 3, "/api/attention/{layer}/{head}/{sequence}");
  const RunModel& model = run_->model();
  const int layer = parse_index(params[0], model.num_layers, "layer");
  const int head = parse_index(params[1], model.num_heads, "head");
  const int sequence = parse_index(params[2], static_cast<int64_t>(run_->sequences().size()), "sequence");
  const RunSequence& s = run_->sequences()[sequence];
  const std::string count = std::to_string(s.token_count);
  reply_floats(res,
               weighted(req, run_->attention(layer, head, sequence),
                        [&] {
                          return row_norms(
                              run_->values(layer, model.kv_head_for(head), s.first_token, s.token_count),
                              model.head_dim);
                        }),
               count + "," + count);
}

std::vector<float> Api::weighted(const httplib::Request& req, std::vector<float> attention,
                                 const std::function<std::vector<float>()>& norms) const {
  const std::string weight = req.has_param("weight") ? req.get_param_value("weight") : "attention";
  if (weight == "attention") return attention;
  if (weight != "value-norm")
    throw HttpError(400, "no weight " + printable(weight) + " (valid: attention, value-norm)");
  if (!run_->has_values())
    throw HttpError(409, "this run has no value vectors: extract it with --values to weight by value norm");
  return value_norm_weighted(attention, norms());
}

void Api::value_norms(const httplib::Request& req, httplib::Response& res) {
  auto params = path_params(req.path, "/api/value-norms/", 2, "/api/value-norms/{layer}/{head}");
  const int layer = parse_index(params[0], run_->model().num_layers, "layer");
  const int head = parse_index(params[1], run_->model().num_heads, "head");
  if (!run_->has_values())
    throw HttpError(409, "this run has no value vectors: extract it with --values for value norms");
  reply_floats(res, head_value_norms(*run_, layer, head), std::to_string(run_->num_tokens()));
}

void Api::norms(const httplib::Request& req, httplib::Response& res) {
  auto params = path_params(req.path, "/api/norms/", 2, "/api/norms/{layer}/{head}");
  const int layer = parse_index(params[0], run_->model().num_layers, "layer");
  const int head = parse_index(params[1], run_->model().num_heads, "head");
  reply_floats(res, head_norms(*run_, layer, head), std::to_string(2 * run_->num_tokens()));
}

void Api::search(const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.get_param_value("token");
  const std::string key = search_key(token);
  if (key.empty()) throw HttpError(400, "search needs a non-empty ?token=TEXT");
  auto found = search_index_.find(key);
  const auto& indices = found == search_index_.end() ? std::vector<int64_t>{} : found->second;
  reply_json(res, {{"token", token}, {"indices", indices}, {"count", indices.size()}});
}

void Api::aggregate(const httplib::Request& req, httplib::Response& res) {
  auto params = path_params(req.path, "/api/aggregate/", 2, "/api/aggregate/{layer}/{head}");
  const int layer = parse_index(params[0], run_->model().num_layers, "layer");
  const int head = parse_index(params[1], run_->model().num_heads, "head");
  std::shared_ptr<const RelativeAttention> result;
  {
    std::lock_guard lock(aggregate_mutex_);
    result = aggregates_[{layer, head}];
  }
  if (!result) {  // two simultaneous first requests may both compute it; the results are equal
    result = std::make_shared<const RelativeAttention>(relative_attention(*run_, layer, head));
    std::lock_guard lock(aggregate_mutex_);
    aggregates_[{layer, head}] = result;
  }
  reply_json(res, {{"offsets", result->offsets}, {"mean", result->mean}});
}

void Api::image(const httplib::Request& req, httplib::Response& res) {
  auto params = path_params(req.path, "/api/image/", 1, "/api/image/{sequence}");
  if (run_->model().modality != "image") throw HttpError(404, "this run has no images (its inputs are text)");
  const int sequence = parse_index(params[0], static_cast<int64_t>(run_->sequences().size()), "sequence");
  if (image_root_.empty())
    throw HttpError(403, "the manifest records no dataset folder to serve images from");
  const fs::path file = (image_root_ / run_->sequences()[sequence].image).lexically_normal();
  if (!is_inside(image_root_, file))
    throw HttpError(403, "the image of sequence " + params[0] + " is outside the dataset folder " +
                             printable(image_root_.string()) + "; not served");
  std::error_code error;
  const auto size = fs::file_size(file, error);
  if (error)
    throw HttpError(404, "image of sequence " + params[0] + " not found: " + printable(file.string()));
  if (size > kMaxImageBytes)
    throw HttpError(403, "the image of sequence " + params[0] + " is larger than " +
                             std::to_string(kMaxImageBytes >> 20) + " MiB; not served");
  std::string bytes = read_file(file);
  const char* type = decodable_image_type(bytes);
  if (!type)
    throw HttpError(403, "the file of sequence " + params[0] + " does not decode as an image; not served");
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::move(bytes), type);
}

void Api::heads(const httplib::Request&, httplib::Response& res) {
  std::shared_ptr<const std::string> reply;
  try {
    reply = heads_reply_.get(heads_file_path(run_->dir()));
  } catch (const Error& e) {
    throw HttpError(404, e.what());
  }
  if (!reply) throw HttpError(404, "no heads map yet: attnviz layout writes layouts/heads.json");
  res.set_header("Cache-Control", "no-cache");
  res.set_content(*reply, "application/json");
}

// One head's layout [2N, dim] as /api/layout serves it, on disk or computed already; 409 when it is neither
// (this never starts a computation: /api/layout does).
std::vector<float> Api::ready_layout(LayoutMethod method, int dim, int layer, int head) {
  if (auto file = stored_.file(method, dim)) {
    const auto bytes = file->points_bytes(layer, head);
    if (!bytes.empty()) {
      std::vector<float> points(bytes.size() / sizeof(float));
      std::memcpy(points.data(), bytes.data(), points.size() * sizeof(float));
      return points;
    }
  }
  if (auto computed = computed_.find({.method = method, .dim = dim, .layer = layer, .head = head}))
    return *computed;
  const std::string l = std::to_string(layer), h = std::to_string(head);
  throw HttpError(409, "the " + layout_file_name(method, dim) + " layout of layer " + l + " head " + h +
                           " is neither on disk nor computed yet: GET /api/layout/" +
                           layout_method_name(method) + "/" + std::to_string(dim) + "/" + l + "/" + h +
                           " computes it");
}

// /api/neighbours/{layer}/{head}/{point}?k=K&layout=tsne-2d
void Api::neighbours(const httplib::Request& req, httplib::Response& res) {
  auto params = path_params(req.path, "/api/neighbours/", 3, "/api/neighbours/{layer}/{head}/{point}");
  const RunModel& model = run_->model();
  const int64_t n = run_->num_tokens();
  const int layer = parse_index(params[0], model.num_layers, "layer");
  const int head = parse_index(params[1], model.num_heads, "head");
  const int64_t point = parse_index(params[2], 2 * n, "point");
  const int k = parse_neighbour_count(single_param(req, "k", std::to_string(kDefaultNeighbours).c_str()));
  const auto [method, dim] = parse_layout_name(single_param(req, "layout", "tsne-2d"));
  const std::vector<float> layout = ready_layout(method, dim, layer, head);
  // A query's partners are the dataset's keys (its key head's), a key's the head's queries.
  const bool query = point < n;
  const int kv_head = model.kv_head_for(head);
  const int64_t row = query ? point : point - n, first = query ? n : 0;
  const std::vector<float> self =
      query ? run_->queries(layer, head, row, 1) : run_->keys(layer, kv_head, row, 1);
  const std::vector<float> others = query ? run_->keys(layer, kv_head) : run_->queries(layer, head);
  const std::vector<Scored> top = top_scores(self, others, model.head_dim, model.attention_scale, k);
  std::vector<int64_t> partners;
  for (const Scored& s : top) partners.push_back(first + s.index);
  const std::vector<int64_t> ranks = layout_ranks(layout, dim, point, first, n, partners);
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < top.size(); ++i)
    list.push_back({{"point", partners[i]}, {"score", top[i].score}, {"layout_rank", ranks[i]}});
  reply_json(res,
             {{"point", point}, {"layout", layout_file_name(method, dim)}, {"neighbours", std::move(list)}});
}

void Api::create_probe(const std::string& body, httplib::Response& res) {
  reply_json(res, probes_.create(body)->description());
}

// The metric the layouts were made with (metrics.json "metric"; cosine, the default, when it does not say).
Metric Api::layout_metric() {
  const auto metrics = json_files_.get(run_->dir() / "layouts" / "metrics.json");
  if (metrics && metrics->is_object() && metrics->contains("metric") && (*metrics)["metric"].is_string()) {
    try {
      return parse_metric((*metrics)["metric"].get<std::string>());
    } catch (const Error&) {
    }
  }
  return Metric::Cosine;
}

// /api/probe/{id}/attention/{layer}/{head}, /api/probe/{id}/layout/{method}/{dim}[/{layer}/{head}]
void Api::probe_routes(const httplib::Request& req, httplib::Response& res) {
  const char* usage =
      "/api/probe/{id}/attention/{layer}/{head} or /api/probe/{id}/layout/{method}/{dim}[/{layer}/{head}]";
  const std::string rest = req.path.substr(std::string("/api/probe/").size());
  const size_t segments = 1 + static_cast<size_t>(std::count(rest.begin(), rest.end(), '/'));
  if (segments != 4 && segments != 6) throw HttpError(400, std::string("use ") + usage);
  const auto params = path_params(req.path, "/api/probe/", segments, usage);
  const RunModel& model = run_->model();
  const std::shared_ptr<const Probe> probe = probes_.get(params[0]);
  const std::string t = std::to_string(probe->tokens_count());
  if (params[1] == "attention" && segments == 4) {
    const int layer = parse_index(params[2], model.num_layers, "layer");
    const int head = parse_index(params[3], model.num_heads, "head");
    const LayerCapture& c = probe->layers[layer];
    const std::vector<float> all =
        attention_probabilities(c.q, c.k, model.num_heads, model.num_kv_heads, probe->tokens_count(),
                                model.head_dim, model.attention_scale, model.causal);
    const size_t tt = static_cast<size_t>(probe->tokens_count()) * probe->tokens_count();
    std::vector<float> one(all.begin() + head * tt, all.begin() + (head + 1) * tt);
    const size_t kv_rows = static_cast<size_t>(probe->tokens_count()) * model.head_dim;
    return reply_floats(res,
                        weighted(req, std::move(one),
                                 [&] {
                                   const auto first = c.v.begin() + model.kv_head_for(head) * kv_rows;
                                   return row_norms(std::vector<float>(first, first + kv_rows),
                                                    model.head_dim);
                                 }),
                        t + "," + t);
  }
  if (params[1] != "layout") throw HttpError(400, std::string("use ") + usage);
  const LayoutMethod method = parse_method(params[2]);
  const int dim = parse_dim(params[3]);
  const Metric metric = layout_metric();
  const std::string points = std::to_string(2 * probe->tokens_count()) + "," + std::to_string(dim);
  if (segments == 6) {
    const int layer = parse_index(params[4], model.num_layers, "layer");
    const int head = parse_index(params[5], model.num_heads, "head");
    return reply_floats(res, probe_layouts_.place(*probe, method, dim, layer, head, metric), points);
  }
  const int heads = model.num_layers * model.num_heads;
  std::vector<std::vector<float>> placed(static_cast<size_t>(heads));
  parallel_for(heads, default_threads(), [&](int64_t i) {
    placed[i] = probe_layouts_.place(*probe, method, dim, static_cast<int>(i / model.num_heads),
                                     static_cast<int>(i % model.num_heads), metric);
  });
  std::vector<float> all;
  for (const auto& p : placed) all.insert(all.end(), p.begin(), p.end());
  reply_floats(res, all, std::to_string(heads) + "," + points);
}

}  // namespace attnviz::server
