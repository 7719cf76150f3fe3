#include "layout/layout_shards.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/process.hpp"
#include "layout/layout_file.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

constexpr LayoutMethod kMethods[] = {LayoutMethod::PCA, LayoutMethod::TSNE, LayoutMethod::UMAP};
constexpr int kDims[] = {2, 3};

fs::path shards_dir(const fs::path& run_dir) { return run_dir / "layouts" / "shards"; }

// ".{I}-of-{N}"
std::string shard_suffix(const Shard& shard) {
  return "." + std::to_string(shard.index) + "-of-" + std::to_string(shard.count);
}

fs::path record_path(const fs::path& run_dir, const Shard& shard) {
  return shards_dir(run_dir) / ("metrics" + shard_suffix(shard) + ".json");
}

// A non-negative decimal without sign or leading zeros, below 10^9; -1 otherwise.
int parse_count(const std::string& text) {
  if (text.empty() || text.size() > 9 || (text.size() > 1 && text[0] == '0')) return -1;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return -1;
  return std::stoi(text);
}

// The shard a file name "metrics.{I}-of-{N}.json" records; count 0 for any other name.
Shard record_shard(const std::string& name) {
  const std::string prefix = "metrics.", suffix = ".json";
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return {0, 0};
  const std::string middle = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  const size_t of = middle.find("-of-");
  if (of == std::string::npos) return {0, 0};
  const Shard shard{parse_count(middle.substr(0, of)), parse_count(middle.substr(of + 4))};
  if (shard.index < 0 || shard.count < 1 || shard.index >= shard.count || shard.count > kMaxShards)
    return {0, 0};
  return shard;
}

// The N of the shard records present (the one given when count > 0): Error when there are several.
int shards_present(const fs::path& run_dir, int count) {
  std::set<int> counts;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(shards_dir(run_dir), ec))
    if (const Shard s = record_shard(entry.path().filename().string()); s.count > 0) counts.insert(s.count);
  if (count > 0 || counts.empty()) return count;
  if (counts.size() > 1) {
    std::string list;
    for (int n : counts) list += (list.empty() ? "" : ", ") + std::to_string(n);
    throw Error(shards_dir(run_dir).string() + " holds shards of different counts (" + list +
                "): remove the files of the count that is stale");
  }
  return *counts.begin();
}

// A shard's record, checked: its fields match its name, its files are layout files.
nlohmann::json read_record(const fs::path& run_dir, const Shard& shard) {
  const fs::path path = record_path(run_dir, shard);
  nlohmann::json record = read_json_file(path);
  const auto bad = [&](const std::string& what) { return Error(path.string() + ": " + what); };
  if (!record.is_object()) throw bad("not a JSON object");
  if (record.value("shard", -1) != shard.index || record.value("shards", -1) != shard.count)
    throw bad("\"shard\" and \"shards\" do not match the file name");
  if (!record.contains("heads") || !record["heads"].is_object()) throw bad("no \"heads\" object");
  if (!record.contains("files") || !record["files"].is_array()) throw bad("no \"files\" array");
  for (const auto& file : record["files"]) {
    bool known = false;
    for (LayoutMethod m : kMethods)
      for (int d : kDims) known = known || file == layout_file_name(m, d);
    if (!known) throw bad("unknown layout file " + file.dump() + " in \"files\"");
  }
  return record;
}

// The shard files of (method, dim) that the records list, read; Error when one is missing or does not fit
// the run.
std::vector<LayoutFile> shard_files(const Run& run, const std::vector<nlohmann::json>& records,
                                    LayoutMethod method, int dim) {
  std::vector<LayoutFile> found;
  const std::string name = layout_file_name(method, dim);
  for (const nlohmann::json& record : records) {
    const auto& files = record["files"];
    if (std::find(files.begin(), files.end(), name) == files.end()) continue;
    const fs::path path = shard_layout_path(run.dir(), method, dim, {record["shard"], record["shards"]});
    found.push_back(LayoutFile::read(run, path, dim));
    if (!found.back().exists()) throw Error(path.string() + ": missing, though its shard's record lists it");
    if (!found.back().problem().empty()) throw Error(found.back().problem());
  }
  return found;
}

// Every head of (method, dim) in the records' shard files.
std::map<HeadId, HeadLayout> shard_layouts(const Run& run, const std::vector<nlohmann::json>& records,
                                           LayoutMethod method, int dim) {
  std::map<HeadId, HeadLayout> heads;
  for (const LayoutFile& file : shard_files(run, records, method, dim))
    for (const HeadId& h : file.heads()) heads[h] = file.head(h.first, h.second);
  return heads;
}

// metrics.json with every record's heads merged in (a head's figures from a record replace the same
// figures stored, and keep the others).
nlohmann::json merged_metrics(const fs::path& run_dir, const std::vector<nlohmann::json>& records) {
  const fs::path path = run_dir / "layouts" / "metrics.json";
  nlohmann::json metrics;
  if (fs::exists(path)) {
    try {
      metrics = read_json_file(path);
    } catch (const Error&) {
      metrics = nlohmann::json();  // unreadable: rebuilt from the shards' heads
    }
  }
  if (!metrics.is_object() || !metrics.contains("heads") || !metrics["heads"].is_object())
    metrics = {{"heads", nlohmann::json::object()}};
  for (const nlohmann::json& record : records) {
    for (const auto& [key, value] : record.items())
      if (key != "heads" && key != "shard" && key != "shards" && key != "files") metrics[key] = value;
    metrics["heads"].merge_patch(record["heads"]);
  }
  return metrics;
}

void remove_shard_files(const fs::path& run_dir, const Shard& shard) {
  for (LayoutMethod m : kMethods)
    for (int d : kDims) fs::remove(shard_layout_path(run_dir, m, d, shard));
  fs::remove(shard_progress_path(run_dir, shard));
  fs::remove(record_path(run_dir, shard));
}

}  // namespace

void check_shard(const Shard& shard) {
  if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count || shard.count > kMaxShards)
    throw Error("invalid shard " + std::to_string(shard.index) + " of " + std::to_string(shard.count) +
                " (expected 0 <= I < N <= " + std::to_string(kMaxShards) + ")");
}

std::vector<HeadId> shard_heads(std::vector<HeadId> heads, const Shard& shard) {
  check_shard(shard);
  std::sort(heads.begin(), heads.end());
  std::vector<HeadId> mine;
  for (size_t i = static_cast<size_t>(shard.index); i < heads.size(); i += static_cast<size_t>(shard.count))
    mine.push_back(heads[i]);
  return mine;
}

fs::path shard_layout_path(const fs::path& run_dir, LayoutMethod method, int dim, const Shard& shard) {
  return shards_dir(run_dir) / (layout_file_name(method, dim) + shard_suffix(shard) + ".safetensors");
}

fs::path shard_progress_path(const fs::path& run_dir, const Shard& shard) {
  return shards_dir(run_dir) / ("progress" + shard_suffix(shard) + ".json");
}

void write_shard_record(const fs::path& run_dir, const Shard& shard, nlohmann::json metrics,
                        const std::vector<std::string>& files) {
  metrics["shard"] = shard.index;
  metrics["shards"] = shard.count;
  metrics["files"] = files;
  write_file_atomic(record_path(run_dir, shard), metrics.dump(1) + "\n");
}

ShardMerge merge_layout_shards(const Run& run, int count, bool require_all) {
  const fs::path& dir = run.dir();
  fs::create_directories(dir / "layouts");
  const FileLock lock(dir / "layouts" / "merge.lock", (dir / "layouts").string(), /*wait=*/true);
  ShardMerge result;
  result.shards = shards_present(dir, count);
  if (result.shards == 0) {
    if (require_all) throw Error("no finished shards to merge in " + shards_dir(dir).string());
    return result;
  }
  for (int i = 0; i < result.shards; ++i)
    if (!fs::exists(record_path(dir, {i, result.shards}))) result.missing.push_back(i);
  if (!result.missing.empty()) {
    if (!require_all) return result;
    std::string list;
    for (int i : result.missing) list += (list.empty() ? "" : ", ") + std::to_string(i);
    throw Error("cannot merge: shard(s) " + list + " of " + std::to_string(result.shards) +
                " have not finished (no " + record_path(dir, {result.missing[0], result.shards}).string() +
                ")");
  }
  std::vector<nlohmann::json> records;
  for (int i = 0; i < result.shards; ++i) records.push_back(read_record(dir, {i, result.shards}));
  // Every shard file checked before the first is merged, so that a bad one leaves the run's files as they
  // were (one file at a time: all of them together need not fit in memory).
  for (LayoutMethod m : kMethods)
    for (int d : kDims) shard_files(run, records, m, d);
  for (LayoutMethod m : kMethods)
    for (int d : kDims) {
      const std::map<HeadId, HeadLayout> heads = shard_layouts(run, records, m, d);
      if (heads.empty()) continue;
      write_layout_file(run, m, d, heads);
      result.written.push_back(layout_file_name(m, d));
    }
  write_file_atomic(dir / "layouts" / "metrics.json", merged_metrics(dir, records).dump(1) + "\n");
  for (int i = 0; i < result.shards; ++i) remove_shard_files(dir, {i, result.shards});
  std::error_code ec;
  fs::remove(shards_dir(dir), ec);  // only when empty: shards of another count may remain
  result.merged = true;
  return result;
}

}  // namespace attnviz
