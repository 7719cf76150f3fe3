// GET /api/neighbours/{layer}/{head}/{point}: a point's true top-K partners by scaled q·k over the whole run,
// each with its rank among the point's nearest partners in a stored layout (server/neighbours.hpp computes).
#include <cstring>

#include "server/api.hpp"
#include "server/api_params.hpp"
#include "server/http_util.hpp"
#include "server/neighbours.hpp"

namespace attnviz::server {

namespace {

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

}  // namespace

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

}  // namespace attnviz::server
