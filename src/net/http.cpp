#include "net/http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/progress.hpp"

namespace attnviz {

namespace {

struct Transfer {
  const HttpSink* sink = nullptr;
  HttpResponse response;
  std::string label;  // non-empty: show a progress bar
  std::unique_ptr<Progress> progress;
  curl_off_t shown = 0;
};

std::string trimmed(std::string s) {
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  return s;
}

size_t on_body(char* data, size_t, size_t size, void* user) {
  auto* t = static_cast<Transfer*>(user);
  return (*t->sink)(data, size) ? size : 0;
}

size_t on_header(char* data, size_t, size_t size, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size);
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return size;  // the status line or the blank line after the headers
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  t->response.headers[trimmed(name)] = trimmed(line.substr(colon + 1));
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

}  // namespace

HttpResponse http_get(const HttpRequest& request, const HttpSink& sink) {
  init_curl();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error("cannot start a download (curl_easy_init failed)");
  Transfer transfer;
  transfer.sink = &sink;
  transfer.label = request.progress_label;
  struct curl_slist* headers = nullptr;
  for (const std::string& header : request.headers) headers = curl_slist_append(headers, header.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, curl_slist_free_all);
  char error[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);  // the hub redirects large files to its CDN
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
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
    throw Error("cannot download " + request.url + ": writing the file failed");
  if (code != CURLE_OK)
    throw Error("cannot download " + request.url + ": " + (error[0] ? error : curl_easy_strerror(code)));
  return transfer.response;
}

}  // namespace attnviz
