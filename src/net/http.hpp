#pragma once
// HTTP GET over libcurl, for downloads: redirects are followed, a progress bar shows large bodies, and Ctrl-C
// (install_interrupt_handler) aborts the transfer.
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace attnviz {

struct HttpRequest {
  std::string url;
  std::vector<std::string>
      headers;                 // "Name: value" lines; curl drops Authorization on redirects to other hosts
  std::string progress_label;  // non-empty: a progress bar on stderr while the body arrives
};

struct HttpResponse {
  long status = 0;  // of the last response (after redirects)
  // Every response's headers, names lowercased and values trimmed; a later response's replace an earlier's.
  std::map<std::string, std::string> headers;
};

// Receives the body chunk by chunk; false aborts the transfer.
using HttpSink = std::function<bool(const char* data, size_t size)>;

// GETs request.url into sink. A transport failure is an Error "cannot download <url>: <reason>" ("writing
// the file failed" when the sink refused a chunk of a 200 answer); an HTTP error status is returned, not
// thrown. Error("interrupted") after Ctrl-C.
HttpResponse http_get(const HttpRequest& request, const HttpSink& sink);

}  // namespace attnviz
