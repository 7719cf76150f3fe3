#pragma once
// RUN/layouts/progress.json (docs/format.md), its one home: how far a running layout job is, and whether its
// writer is still alive. The job rewrites it whole at least every kHeartbeatSeconds while it works:
//   {"tsne-2d": {"done": 12, "total": 48}, ..., "writer": {"pid": 4242, "host": "name", "heartbeat": 1.7e9}}
// heartbeat: Unix time in seconds of the last rewrite. A reader counts the job as running only while the
// heartbeat is recent and, on the same machine, the pid is alive: a job killed with kill -9 leaves the file
// behind, and readers must not wait for it forever.
#include <filesystem>

#include "core/json.hpp"

namespace attnviz {

// How often a job rewrites progress.json while it works, and how old a heartbeat may be for a reader to
// still count the job as running (several missed beats: a loaded machine delays some).
constexpr double kHeartbeatSeconds = 2;
constexpr double kHeartbeatTimeoutSeconds = 10;

// Writes `path` (layouts/progress.json, or a shard's): `files` ({"tsne-2d": {"done", "total"}, ...}) and this
// process as writer.
void write_progress_file(const std::filesystem::path& path, nlohmann::json files);

// Whether the job that wrote `progress` (progress.json as read) still runs: false for a file without a
// well-formed writer (older attnviz), a heartbeat older than the timeout, or a pid of this machine that is
// gone. `now`: Unix time in seconds.
bool progress_writer_running(const nlohmann::json& progress, double now);
double unix_seconds_now();

}  // namespace attnviz
