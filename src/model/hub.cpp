#include "model/hub.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/interrupt.hpp"
#include "core/json.hpp"
#include "core/progress.hpp"

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

// A file name from the hub that is safe to join onto a local folder.
bool safe_file_name(const std::string& name) {
  return valid_name(name) || (!name.empty() && std::all_of(name.begin(), name.end(), is_name_char) &&
                              name.find("..") == std::string::npos && name[0] != '.');
}

// ---- HTTP over libcurl ----

struct Response {
  long status = 0;
  std::string commit;  // the X-Repo-Commit header, when the hub sends it
};

using Sink = std::function<bool(const char* data, size_t size)>;

struct Transfer {
  Sink sink;
  Response response;
  std::string label;  // non-empty: show a progress bar
  std::unique_ptr<Progress> progress;
  curl_off_t shown = 0;
};

size_t on_body(char* data, size_t, size_t size, void* user) {
  auto* t = static_cast<Transfer*>(user);
  return t->sink(data, size) ? size : 0;
}

size_t on_header(char* data, size_t, size_t size, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size);
  const std::string key = "x-repo-commit:";
  std::string lower = line.substr(0, key.size());
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == key) {
    std::string value = line.substr(key.size());
    value.erase(std::remove_if(value.begin(), value.end(), [](unsigned char c) { return std::isspace(c); }),
                value.end());
    t->response.commit = value;
  }
  return size;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  if (interrupted()) return 1;  // aborts the transfer
  auto* t = static_cast<Transfer*>(user);
  if (t->label.empty() || total <= 0) return 0;
  if (!t->progress) t->progress = std::make_unique<Progress>(t->label, total, "B");
  t->progress->advance(now - t->shown);
  t->shown = now;
  return 0;
}

void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// GETs url into sink, following redirects; a transport failure is an Error, an HTTP status is returned.
Response http_get(const std::string& url, Sink sink, const std::string& progress_label) {
  init_curl();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error("cannot start a download (curl_easy_init failed)");
  Transfer transfer;
  transfer.sink = std::move(sink);
  transfer.label = progress_label;
  struct curl_slist* headers = nullptr;
  const std::string token = env("HF_TOKEN");
  if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, curl_slist_free_all);
  char error[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);   // the hub redirects large files to its CDN
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);  // curl drops Authorization on redirects to other hosts
  curl_easy_setopt(c, CURLOPT_USERAGENT, "attnviz");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);  // give up after a minute without a byte
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);
  const CURLcode code = curl_easy_perform(c);
  if (transfer.progress) transfer.progress->finish();
  throw_if_interrupted();
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  if (code == CURLE_WRITE_ERROR && transfer.response.status == 200)
    throw Error("cannot download " + url + ": writing the file failed");
  if (code != CURLE_OK)
    throw Error("cannot download " + url + ": " + (error[0] ? error : curl_easy_strerror(code)));
  return transfer.response;
}

// ---- the hub ----

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
    const Response r = get(
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
    const std::string commit = is_commit_hash(r.commit) ? r.commit : id_.revision;
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
      for (const std::string& shard : shard_names(snapshot / "model.safetensors.index.json"))
        if (!fs::exists(snapshot / shard) && !fetch_file(snapshot, shard, true))
          fail("the hub has no " + shard + " (HTTP 404), which model.safetensors.index.json lists");
    write_file_atomic(snapshot / "config.json", config);  // last: its presence marks a complete snapshot
    if (!is_commit_hash(id_.revision)) {
      fs::create_directories((repo_dir_ / "refs" / id_.revision).parent_path());
      write_file_atomic(repo_dir_ / "refs" / id_.revision, commit);
    }
    return snapshot;
  }

  static std::set<std::string> shard_names(const fs::path& index_path) {
    const nlohmann::json index = read_json_file(index_path);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      throw Error(index_path.string() + ": no \"weight_map\" object");
    std::set<std::string> names;
    for (const auto& [tensor, file] : index["weight_map"].items()) {
      if (!file.is_string() || !safe_file_name(file.get<std::string>()))
        throw Error(index_path.string() + ": tensor " + tensor + " names an invalid file " + file.dump());
      names.insert(file.get<std::string>());
    }
    return names;
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

  Response get(const std::string& file, Sink sink, bool progress) const {
    try {
      return http_get(url(file), std::move(sink), progress ? id_.repo + " " + file : "");
    } catch (const Error& e) {
      if (interrupted()) throw;
      fail(e.what());
    }
  }

  void check_status(const Response& r, const std::string& file) const {
    if (r.status == 401 || r.status == 403)
      fail("HTTP " + std::to_string(r.status) + " for " + file +
           " (a private or gated model needs HF_TOKEN set to a token with access)");
    if (r.status != 200) fail("HTTP " + std::to_string(r.status) + " for " + file);
  }

  // Downloads one file into the snapshot under a temporary name; false when the hub does not have it.
  bool fetch_file(const fs::path& snapshot, const std::string& name, bool progress) const {
    AtomicFile file(snapshot / name);
    const Response r = get(
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
  for (const std::string& shard : Hub::shard_names(index))
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
  if (!commit.empty() && safe_file_name(commit) && complete_snapshot(repo_dir / "snapshots" / commit))
    return repo_dir / "snapshots" / commit;
  if (env("HF_HUB_OFFLINE") == "1")
    throw Error("model " + id_or_path + " is not a local folder nor in the cache " + hf_hub_cache().string() +
                ", and HF_HUB_OFFLINE=1 forbids downloading it");
  return Hub(*id, repo_dir).download();
}

}  // namespace attnviz
