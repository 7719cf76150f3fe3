#pragma once
// The runs one server serves (docs/api.md, "Several runs"): the folders named on the command line, a folder
// of runs expanded into the runs it holds, each with a unique name that becomes its prefix /api/runs/{name}/;
// and GET /api/runs, which lists them.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/run.hpp"

namespace attnviz::server {

struct ServedRun {
  std::string name;  // [A-Za-z0-9._-]+, unique among the served runs
  std::shared_ptr<const Run> run;
};

// Each path is a run (it holds manifest.json) or a folder of runs (its subfolders that hold one, in name
// order). Opens every run; an Error names the path that is neither, or the run that does not open.
// Names: each run folder's base name, characters outside [A-Za-z0-9._-] written as '_', and "-2", "-3", ...
// appended to a name already taken.
std::vector<ServedRun> open_runs(const std::vector<std::filesystem::path>& paths);

// GET /api/runs: {"runs": [{"name", "prefix", "model", "modality", "layers", "heads", "sequences",
// "tokens"}, ...]}, the first run (the one also served under /api/) first.
nlohmann::json runs_reply(const std::vector<ServedRun>& runs);

}  // namespace attnviz::server
