#pragma once
// The JSON/binary API over one run (docs/api.md): every route under /api/.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "run/run.hpp"
#include "server/analysis.hpp"
#include "server/computed_layouts.hpp"
#include "server/file_cache.hpp"
#include "server/probe_layouts.hpp"
#include "server/probes.hpp"
#include "server/stored_layouts.hpp"

namespace attnviz::server {

// The largest image file /api/image serves.
constexpr uintmax_t kMaxImageBytes = uintmax_t{64} << 20;
// The most neighbours /api/neighbours gives for one point, and how many when ?k= is not given.
constexpr int kMaxNeighbours = 1000, kDefaultNeighbours = 10;

class Api {
 public:
  // model: `attnviz serve --model` for probes (server/probes.hpp); empty: the manifest's model.source.
  explicit Api(std::shared_ptr<const Run> run, std::string model = "");
  // Every route of one run under `prefix` ("/api", or "/api/runs/{name}" with a name of [A-Za-z0-9._-]):
  // a handler sees the path with `prefix` written as "/api", so the routes are the same under any prefix.
  // Paths under the prefix that no route takes are left to the caller (the server answers them 404).
  void add_routes(httplib::Server& server, const std::string& prefix = "/api");

 private:
  void run_info(const httplib::Request& req, httplib::Response& res);
  void tokens(const httplib::Request& req, httplib::Response& res);
  void layout(const httplib::Request& req, httplib::Response& res);
  void all_layouts(const httplib::Request& req, httplib::Response& res);
  void attention(const httplib::Request& req, httplib::Response& res);
  void norms(const httplib::Request& req, httplib::Response& res);
  void value_norms(const httplib::Request& req, httplib::Response& res);
  void search(const httplib::Request& req, httplib::Response& res);
  void aggregate(const httplib::Request& req, httplib::Response& res);
  void image(const httplib::Request& req, httplib::Response& res);
  void heads(const httplib::Request& req, httplib::Response& res);
  void neighbours(const httplib::Request& req, httplib::Response& res);
  std::vector<float> ready_layout(LayoutMethod method, int dim, int layer, int head);
  void create_probe(const std::string& body, httplib::Response& res);
  void probe_routes(const httplib::Request& req, httplib::Response& res);
  Metric layout_metric();
  // ?weight= of the attention routes: the attention as computed, or weighted by the value norms `norms`
  // gives (called only when asked for); 400 for another weight, 409 when the run has no values.
  std::vector<float> weighted(const httplib::Request& req, std::vector<float> attention,
                              const std::function<std::vector<float>()>& norms) const;

  std::shared_ptr<const Run> run_;
  std::filesystem::path image_root_;                          // image runs: only files inside it are served
  std::shared_ptr<const std::string> tokens_json_;            // the token table, serialised once
  std::map<std::string, std::vector<int64_t>> search_index_;  // search_key → token indices
  StoredLayouts stored_;
  ComputedLayouts computed_;
  FileCache<nlohmann::json> json_files_;
  FileCache<std::string> heads_reply_;  // layouts/heads.json as /api/heads serves it
  std::mutex aggregate_mutex_;
  std::map<std::pair<int, int>, std::shared_ptr<const RelativeAttention>> aggregates_;
  Probes probes_;
  ProbeLayouts probe_layouts_;
};

}  // namespace attnviz::server
