#include "model/hub.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/json.hpp"
#include "model/checkpoint.hpp"
#include "net/http.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

// Files a model folder may hold besides the weights; each is fetched when the hub has it.
const char* const kOptionalFiles[] = {
    "tokenizer.json",          "tokenizer_config.json",   "vocab.json", "merges.txt", "vocab.txt",
    "special_tokens_map.json", "preprocessor_config.json"};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 96 && std::isalnum(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(), is_name_char) && name.find("..") == std::string::npos &&
         name.find("--") == std::string::npos;
}

bool is_commit_hash(const std::string& s) {
  return s.size() == 40 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(c) && !std::isupper(c); });
}

// A commit read from the cache's refs/ that is safe to join onto a local folder.
bool safe_commit(const std::string& commit) {
  return !commit.empty() && std::all_of(commit.begin(), commit.end(), is_name_char) &&
         commit.find("..") == std::string::npos && commit[0] != '.';
}

class Hub {
 public:
  Hub(HubId id, fs::path repo_dir)
      : id_(std::move(id)), repo_dir_(std::move(repo_dir)), endpoint_(env("HF_ENDPOINT")) {
    if (endpoint_.empty()) endpoint_ = "https://huggingface.co";
    while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  }

  // Downloads what the snapshot lacks; returns the snapshot folder.
  fs::path download() {
    std::string config;
    const HttpResponse r = get(
        "config.json",
        [&](const char* d, size_t n) {
          config.append(d, n);
          return true;
        },
        false);
    if (r.status == 404)
      fail("the hub has no config.json for it (HTTP 404); check the id and the revision \"" + id_.revision +
           "\"");
    check_status(r, "config.json");
    parse_json_strict(config, id_.repo + "/config.json");
    const auto sent = r.headers.find("x-repo-commit");
    const std::string commit =
        sent != r.headers.end() && is_commit_hash(sent->second) ? sent->second : id_.revision;
    const fs::path snapshot = repo_dir_ / "snapshots" / commit;
    fs::create_directories(snapshot);

    for (const char* name : kOptionalFiles)
      if (!fs::exists(snapshot / name)) fetch_file(snapshot, name, false);
    if (!fs::exists(snapshot / "model.safetensors") &&
        !fs::exists(snapshot / "model.safetensors.index.json") &&
        !fetch_file(snapshot, "model.safetensors", true) &&
        !fetch_file(snapshot, "model.safetensors.index.json", false))
      fail(
          "the hub has neither model.safetensors nor model.safetensors.index.json (attnviz reads safetensors "
          "checkpoints only)");
    if (fs::exists(snapshot / "model.safetensors.index.json"))
      for (const auto& [shard, tensors] :
           read_shard_index(snapshot / "model.safetensors.index.json").tensors_by_shard)
        if (!fs::exists(snapshot / shard) && !fetch_file(snapshot, shard, true))
          fail("the hub has no " + shard + " (HTTP 404), which model.safetensors.index.json lists");
    write_file_atomic(snapshot / "config.json", config);  // last: its presence marks a complete snapshot
    if (!is_commit_hash(id_.revision)) {
      fs::create_directories((repo_dir_ / "refs" / id_.revision).parent_path());
      write_file_atomic(repo_dir_ / "refs" / id_.revision, commit);
    }
    return snapshot;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error("model " + id_.repo + " is not a local folder and cannot be downloaded from " + endpoint_ +
                ": " + why);
  }

  std::string url(const std::string& file) const {
    std::string revision;
    for (char c : id_.revision) revision += c == '/' ? std::string("%2F") : std::string(1, c);
    return endpoint_ + "/" + id_.repo + "/resolve/" + revision + "/" + file;
  }

  HttpResponse get(const std::string& file, const HttpSink& sink, bool progress) const {
    HttpRequest request{url(file), {}, progress ? id_.repo + " " + file : ""};
    if (const std::string token = env("HF_TOKEN"); !token.empty())
      request.headers.push_back("Authorization: Bearer " + token);
    try {
      return http_get(request, sink);
    } catch (const Error& e) {
      if (interrupted()) throw;
      fail(e.what());
    }
  }

  void check_status(const HttpResponse& r, const std::string& file) const {
    if (r.status == 401 || r.status == 403)
      fail("HTTP " + std::to_string(r.status) + " for " + file +
           " (a private or gated model needs HF_TOKEN set to a token with access)");
    if (r.status != 200) fail("HTTP " + std::to_string(r.status) + " for " + file);
  }

  // Downloads one file into the snapshot under a temporary name; false when the hub does not have it.
  bool fetch_file(const fs::path& snapshot, const std::string& name, bool progress) const {
    AtomicFile file(snapshot / name);
    const HttpResponse r = get(
        name, [&](const char* d, size_t n) { return file.write(d, n); }, progress);
    if (r.status == 404) return false;
    check_status(r, name);
    file.commit();
    return true;
  }

  HubId id_;
  fs::path repo_dir_;
  std::string endpoint_;
};

// A snapshot is complete when it has config.json and every weight file.
bool complete_snapshot(const fs::path& snapshot) {
  if (!fs::is_regular_file(snapshot / "config.json")) return false;
  if (fs::is_regular_file(snapshot / "model.safetensors")) return true;
  const fs::path index = snapshot / "model.safetensors.index.json";
  if (!fs::is_regular_file(index)) return false;
  for (const auto& [shard, tensors] : read_shard_index(index).tensors_by_shard)
    if (!fs::exists(snapshot / shard)) return false;
  return true;
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

std::optional<HubId> parse_hub_id(const std::string& text) {
  HubId id;
  std::string repo = text;
  if (const size_t at = text.find('@'); at != std::string::npos) {
    repo = text.substr(0, at);
    id.revision = text.substr(at + 1);
    const bool ok = !id.revision.empty() && id.revision.find("..") == std::string::npos &&
                    id.revision.front() != '/' && id.revision.back() != '/' &&
                    std::all_of(id.revision.begin(), id.revision.end(),
                                [](char c) { return is_name_char(c) || c == '/'; });
    if (!ok) return std::nullopt;
  }
  const size_t slash = repo.find('/');
  if (slash == std::string::npos) {
    if (!valid_name(repo)) return std::nullopt;
  } else if (!valid_name(repo.substr(0, slash)) || !valid_name(repo.substr(slash + 1))) {
    return std::nullopt;
  }
  id.repo = repo;
  return id;
}

fs::path hf_hub_cache() {
  if (const std::string v = env("HF_HUB_CACHE"); !v.empty()) return v;
  if (const std::string v = env("HF_HOME"); !v.empty()) return fs::path(v) / "hub";
  if (const std::string v = env("XDG_CACHE_HOME"); !v.empty()) return fs::path(v) / "huggingface" / "hub";
  const std::string home = env("HOME");
  if (home.empty()) throw Error("cannot find the Hugging Face cache: set HF_HOME (HOME is not set)");
  return fs::path(home) / ".cache" / "huggingface" / "hub";
}

fs::path resolve_model(const std::string& id_or_path) {
  std::error_code ec;
  if (fs::exists(id_or_path, ec)) return id_or_path;
  const std::optional<HubId> id = parse_hub_id(id_or_path);
  if (!id) throw Error("model " + id_or_path + ": no such folder, and not a Hugging Face hub id");

  std::string folder = "models--" + id->repo;
  if (const size_t slash = folder.find('/'); slash != std::string::npos) folder.replace(slash, 1, "--");
  const fs::path repo_dir = hf_hub_cache() / folder;
  std::string commit = id->revision;
  if (!is_commit_hash(commit)) {
    const fs::path ref = repo_dir / "refs" / id->revision;
    commit = fs::is_regular_file(ref) ? trimmed(read_file(ref)) : "";
  }
  if (safe_commit(commit) && complete_snapshot(repo_dir / "snapshots" / commit))
    return repo_dir / "snapshots" / commit;
  if (env("HF_HUB_OFFLINE") == "1")
    throw Error("model " + id_or_path + " is not a local folder nor in the cache " + hf_hub_cache().string() +
                ", and HF_HUB_OFFLINE=1 forbids downloading it");
  return Hub(*id, repo_dir).download();
}

std::string model_source(const std::string& id_or_path) {
  std::error_code ec;
  if (fs::exists(id_or_path, ec)) return fs::absolute(id_or_path).lexically_normal().string();
  const std::optional<HubId> id = parse_hub_id(id_or_path);
  if (!id) throw Error("'" + id_or_path + "' is neither a folder nor a hub id");
  return id->repo + "@" + id->revision;
}

}  // namespace attnviz
