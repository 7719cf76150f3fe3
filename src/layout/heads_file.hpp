#pragma once
// layouts/heads.json, the heads map's one home (docs/format.md): its name, writing, reading with
// validation, and whether it is stale (made from another run's vectors or an older format).
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "layout/heads_map.hpp"
#include "run/run.hpp"

namespace attnviz {

std::filesystem::path heads_file_path(const std::filesystem::path& run_dir);

// What the file records of the run it was made from: a hash of the manifest and the size of the vectors.
std::string heads_run_stamp(const Run& run);

// The document: format, version, run stamp, sample, thresholds, heads (layer-major), order, divergence.
nlohmann::json heads_json(const Run& run, const HeadsMap& map);

// An upper bound of layouts/heads.json's size for `run`, for the layout job's estimate (layout/estimate.cpp):
// the writer's own document for a map whose every number is written at its widest.
uint64_t heads_file_bytes(const Run& run);

// Writes layouts/heads.json whole (temporary name, then rename).
void write_heads_file(const Run& run, const HeadsMap& map);

// The validated document of layouts/heads.json; an Error says why it cannot be used (missing, unreadable,
// another format or version, stale, or sizes that do not match the run).
nlohmann::json read_heads_file(const Run& run);

// True when layouts/heads.json exists, read_heads_file accepts it and it has the heads' fingerprints.
bool heads_file_fresh(const Run& run);

}  // namespace attnviz
