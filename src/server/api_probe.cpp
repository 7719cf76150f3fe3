// POST /api/probe and GET /api/probe/{id}/...: your own input run through the model (server/probes.hpp) and
// placed in the stored layouts (server/probe_layouts.hpp).
#include <algorithm>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "server/api.hpp"
#include "server/api_params.hpp"
#include "server/http_util.hpp"

namespace attnviz::server {

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
    // The one head asked for: its queries [T, head_dim] against its key head's keys [T, head_dim].
    const LayerCapture& c = probe->layers[layer];
    const size_t rows = static_cast<size_t>(probe->tokens_count()) * model.head_dim;
    const size_t kv_first = static_cast<size_t>(model.kv_head_for(head)) * rows;
    std::vector<float> one = attention_probabilities(
        std::span(c.q).subspan(head * rows, rows), std::span(c.k).subspan(kv_first, rows), 1, 1,
        probe->tokens_count(), model.head_dim, model.attention_scale, model.causal);
    return reply_floats(res,
                        weighted(req, std::move(one),
                                 [&] {
                                   const auto first = c.v.begin() + kv_first;
                                   return row_norms(std::vector<float>(first, first + rows), model.head_dim);
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
