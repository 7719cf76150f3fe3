#pragma once
// Layouts spread over machines (docs/cluster.md), the one home of RUN/layouts/shards/: which heads a shard
// lays out, the names of its files, the record that says it finished, and the merge of finished shards into
// the run's layout files and metrics.json (docs/format.md, "layouts/shards/").
//
//   layouts/shards/{method}-{dim}d.{I}-of-{N}.safetensors  shard I's heads, a layout file (layout_file.hpp)
//   layouts/shards/progress.{I}-of-{N}.json                 its progress.json
//   layouts/shards/metrics.{I}-of-{N}.json                  its record: the figures of its heads as in
//       metrics.json, plus "shard": I, "shards": N and "files": the layout files it wrote. Written last,
//       so a record present means the shard finished.
//   layouts/merge.lock                                      an empty file whose lock serialises merges
//
// A merge runs under the lock, writes each merged file whole under a temporary name and renames it, then
// removes the shards' files; so a reader sees each file before or after the merge, never half of it, and two
// shards finishing together cannot both merge.
#include <filesystem>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "layout/layout.hpp"

namespace attnviz {

// At most this many shards: more than a job array holds (Slurm's MaxArraySize is 1001 by default), and few
// enough that a merge can look for every shard's record.
constexpr int kMaxShards = 100000;

struct Shard {
  int index = 0, count = 1;  // 0 <= index < count; count 1: not sharded
  bool sharded() const { return count > 1; }
};

// Error unless 0 <= index < count <= kMaxShards.
void check_shard(const Shard& shard);

// Shard I of N has the heads at positions I, I+N, I+2N, ... of `heads` sorted by layer then head: shards
// differ by at most one head, and each layer's heads are spread over them.
std::vector<HeadId> shard_heads(std::vector<HeadId> heads, const Shard& shard);

std::filesystem::path shard_layout_path(const std::filesystem::path& run_dir, LayoutMethod method, int dim,
                                        const Shard& shard);
std::filesystem::path shard_progress_path(const std::filesystem::path& run_dir, const Shard& shard);

// Records the shard as finished: `metrics` (a metrics.json document of its heads) with "shard", "shards"
// and "files" (names such as "tsne-2d" of the layout files it wrote) added.
void write_shard_record(const std::filesystem::path& run_dir, const Shard& shard, nlohmann::json metrics,
                        const std::vector<std::string>& files);

struct ShardMerge {
  int shards = 0;                    // N of the shards looked at (0: none found)
  std::vector<int> missing;          // shards of N without a record
  std::vector<std::string> written;  // layout files merged, e.g. "tsne-2d"
  bool merged = false;
};

// Under the merge lock: when every shard of `count` has finished, merges them into the run's layout files
// and metrics.json and removes their files. count 0: the N of the records present (Error when records of
// several N are present). When shards are missing: Error naming them if require_all, else merged is false.
ShardMerge merge_layout_shards(const Run& run, int count, bool require_all);

}  // namespace attnviz
