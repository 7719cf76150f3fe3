#include "server/heads_across_runs.hpp"

#include <cmath>

#include "core/error.hpp"
#include "layout/head_similarity.hpp"
#include "layout/heads_file.hpp"
#include "server/http_util.hpp"

namespace attnviz::server {

namespace {

// The whole reply from the runs' files as they are now; HttpError 404 or 409 (see reply()).
std::string map_reply(const std::vector<ServedRun>& runs) {
  // Step 1: every run's heads with a fingerprint (a run without: skipped, with why).
  nlohmann::json listed = nlohmann::json::array(), skipped = nlohmann::json::array(),
                 heads = nlohmann::json::array();
  std::vector<std::vector<double>> fingerprints;
  for (const ServedRun& served : runs) {
    nlohmann::json doc;
    try {
      doc = read_heads_file(*served.run);
    } catch (const Error& e) {
      // The reason names the file within the run, not where the run is (GET /api/runs gives no paths).
      std::string reason = e.what();
      const std::string dir = served.run->dir().string() + "/";
      if (reason.starts_with(dir)) reason.erase(0, dir.size());
      skipped.push_back({{"name", served.name}, {"reason", reason}});
      continue;
    }
    if (!doc["heads"][0].contains("fingerprint")) {
      skipped.push_back({{"name", served.name},
                         {"reason", "layouts/heads.json has no fingerprints (attnviz layout adds them)"}});
      continue;
    }
    for (const nlohmann::json& h : doc["heads"]) {
      heads.push_back(
          {{"run", served.name}, {"layer", h["layer"]}, {"head", h["head"]}, {"type", h["type"]}});
      fingerprints.push_back(h["fingerprint"].get<std::vector<double>>());
    }
    listed.push_back({{"name", served.name}, {"heads", doc["heads"].size()}});
  }
  const size_t n = fingerprints.size();
  if (n == 0)
    throw HttpError(404, "no served run has a heads map with fingerprints (attnviz layout writes it)");
  if (n > kMaxMapHeads) {
    throw HttpError(409, std::to_string(n) + " heads in the served runs: the map places at most " +
                             std::to_string(kMaxMapHeads));
  }
  // Step 2: euclidean distances between fingerprints, then the map by classical MDS.
  std::vector<double> distance(n * n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      double sum = 0;
      for (size_t e = 0; e < fingerprints[i].size(); ++e) {
        const double d = fingerprints[i][e] - fingerprints[j][e];
        sum += d * d;
      }
      distance[i * n + j] = distance[j * n + i] = std::sqrt(sum);
    }
  const std::vector<double> points = classical_mds(distance, static_cast<int>(n), 2);
  for (size_t i = 0; i < n; ++i) heads[i]["map"] = {points[2 * i], points[2 * i + 1]};
  return nlohmann::json{
      {"runs", std::move(listed)}, {"skipped", std::move(skipped)}, {"heads", std::move(heads)}}
      .dump();
}

}  // namespace

HeadsAcrossRuns::HeadsAcrossRuns(std::vector<ServedRun> runs) : runs_(std::move(runs)) {}

HeadsAcrossRuns::Outcome HeadsAcrossRuns::compute(std::vector<std::optional<FileStamp>> stamps) const {
  Outcome outcome{std::move(stamps), nullptr, 0, ""};
  try {
    outcome.reply = std::make_shared<const std::string>(map_reply(runs_));
  } catch (const HttpError& e) {
    outcome.status = e.status;
    outcome.error = e.what();
  }
  return outcome;
}

std::shared_ptr<const std::string> HeadsAcrossRuns::reply() {
  std::vector<std::optional<FileStamp>> stamps;
  for (const ServedRun& served : runs_) stamps.push_back(file_stamp(heads_file_path(served.run->dir())));
  std::lock_guard lock(mutex_);
  if (!cached_ || cached_->stamps != stamps) {
    try {
      cached_ = compute(std::move(stamps));
      ++computed_;
    } catch (const std::exception& e) {
      // Not kept: a failure that is not about the files (memory, say) may not happen again.
      cached_.reset();
      throw HttpError(500, std::string("the heads map could not be computed: ") + e.what());
    }
  }
  if (!cached_->reply) throw HttpError(cached_->status, cached_->error);
  return cached_->reply;
}

int HeadsAcrossRuns::computed() const {
  std::lock_guard lock(mutex_);
  return computed_;
}

}  // namespace attnviz::server
