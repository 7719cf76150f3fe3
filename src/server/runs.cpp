#include "server/runs.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"

namespace attnviz::server {

namespace fs = std::filesystem;

namespace {

bool is_run(const fs::path& dir) {
  std::error_code error;
  return fs::is_regular_file(dir / "manifest.json", error);
}

// The run folders `path` stands for: itself, or the subfolders of a folder of runs.
std::vector<fs::path> run_folders(const fs::path& path) {
  std::error_code error;
  if (!fs::is_directory(path, error))
    throw Error(path.string() + ": not a folder (a run, or a folder of runs)");
  if (is_run(path)) return {path};
  std::vector<fs::path> runs;
  for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
    if (entry.is_directory(error) && is_run(entry.path())) runs.push_back(entry.path());
  }
  if (error) throw Error(path.string() + ": " + error.message());
  if (runs.empty()) {
    throw Error(path.string() +
                ": not a run (no manifest.json) and no folder of runs (no subfolder holds one)");
  }
  std::sort(runs.begin(), runs.end());
  return runs;
}

// A folder's base name as a path segment: [A-Za-z0-9._-] kept, any other byte '_'; "run" when nothing is left
// or only dots.
std::string segment_name(const fs::path& dir) {
  std::string base = dir.lexically_normal().filename().string();
  if (base.empty()) base = dir.lexically_normal().parent_path().filename().string();  // "runs/gpt/"
  for (char& c : base) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!plain) c = '_';
  }
  if (base.find_first_not_of('.') == std::string::npos) return "run";
  return base;
}

}  // namespace

std::vector<ServedRun> open_runs(const std::vector<fs::path>& paths) {
  if (paths.empty()) throw Error("no run to serve");
  std::vector<ServedRun> runs;
  std::set<std::string> taken;
  for (const fs::path& path : paths) {
    for (const fs::path& dir : run_folders(path)) {
      const std::string base = segment_name(dir);
      std::string name = base;
      for (int n = 2; taken.contains(name); ++n) name = base + "-" + std::to_string(n);
      taken.insert(name);
      runs.push_back({name, Run::open(dir)});
    }
  }
  return runs;
}

nlohmann::json runs_reply(const std::vector<ServedRun>& runs) {
  nlohmann::json list = nlohmann::json::array();
  for (const ServedRun& served : runs) {
    const Run& run = *served.run;
    const RunModel& model = run.model();
    list.push_back({{"name", served.name},
                    {"prefix", "api/runs/" + served.name + "/"},
                    {"model", model.model_type},
                    {"modality", model.modality},
                    {"layers", model.num_layers},
                    {"heads", model.num_heads},
                    {"sequences", run.sequences().size()},
                    {"tokens", run.num_tokens()}});
  }
  return {{"runs", std::move(list)}};
}

}  // namespace attnviz::server
