// The handlers of one run's API (docs/api.md) that read the run and its layout files: run info, tokens,
// layouts, attention, norms, search, aggregates, images, heads. Routes and their plumbing: api_routes.cpp;
// neighbours: api_neighbours.cpp; probes: api_probe.cpp.
#include "server/api.hpp"

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "image/image.hpp"
#include "layout/heads_file.hpp"
#include "layout/progress_file.hpp"
#include "run/run_writer.hpp"
#include "server/api_params.hpp"
#include "server/byte_range.hpp"
#include "server/compact_layouts.hpp"
#include "server/http_util.hpp"
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

// /api/heads from a validated layouts/heads.json: each head's layer, head, scores, type, map and behaviour
// fingerprint (null in a file written before it); the order and the divergence matrix.
std::shared_ptr<const std::string> heads_reply(const Run& run) {
  const nlohmann::json doc = read_heads_file(run);
  nlohmann::json heads = nlohmann::json::array();
  for (const nlohmann::json& h : doc["heads"])
    heads.push_back({{"layer", h["layer"]},
                     {"head", h["head"]},
                     {"scores", h["scores"]},
                     {"type", h["type"]},
                     {"map", h["map"]},
                     {"fingerprint", h.value("fingerprint", nlohmann::json())}});
  const nlohmann::json reply = {
      {"heads", std::move(heads)}, {"order", doc["order"]}, {"divergence", doc["divergence"]}};
  return std::make_shared<const std::string>(reply.dump());
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
  tokens_json_ = std::make_shared<const std::string>(
      tokens_json(run_->tokens(), run_->model().modality)
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (run_->model().modality == "image") image_root_ = image_folder(run_->manifest());
  const auto& tokens = run_->tokens().token;
  for (size_t i = 0; i < tokens.size(); ++i)
    search_index_[search_key(tokens[i])].push_back(static_cast<int64_t>(i));
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

void Api::tokens(const httplib::Request&, httplib::Response& res) { reply_json_text(res, tokens_json_); }

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
  const int heads = model.num_heads;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Attnviz-Shape", std::to_string(total) + "," + std::to_string(2 * run_->num_tokens()) +
                                        "," + std::to_string(dim));
  reply_blocks(req, res, total, file->points_bytes(0, 0).size(), [file, heads](int index) {
    const auto head = file->points_bytes(index / heads, index % heads);
    return std::string_view(reinterpret_cast<const char*>(head.data()), head.size());
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
  const std::string weight = single_param(req, "weight", "attention");
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
  reply_json_text(res, reply);
}

}  // namespace attnviz::server
