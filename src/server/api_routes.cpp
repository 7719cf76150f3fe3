// The plumbing of Api's routes: each handler guarded (HttpError → its status, anything else → 500), run
// under a prefix ("/api" or "/api/runs/{name}"), and the one request body (POST /api/probe) read within its
// bound. The handlers themselves live in api.cpp, api_neighbours.cpp and api_probe.cpp.
#include "server/api.hpp"
#include "server/http_util.hpp"
#include "server/server.hpp"

namespace attnviz::server {

namespace {

// Answers HttpError with its status, any other failure (a broken run file) with 500; one-line JSON either
// way.
template <typename F>
void guarded_call(httplib::Response& res, F&& handler) {
  try {
    handler();
  } catch (const HttpError& e) {
    reply_error(res, e.status, e.what());
  } catch (const std::exception& e) {
    reply_error(res, 500, e.what());
  }
}

// `handler` under `prefix`: it sees the request with `prefix` written as "/api".
httplib::Server::Handler guarded(void (Api::*handler)(const httplib::Request&, httplib::Response&), Api* api,
                                 const std::string& prefix) {
  if (prefix == "/api") {
    return [handler, api](const httplib::Request& req, httplib::Response& res) {
      guarded_call(res, [&] { (api->*handler)(req, res); });
    };
  }
  return [handler, api, prefix](const httplib::Request& req, httplib::Response& res) {
    httplib::Request as_api = req;
    as_api.path = "/api" + req.path.substr(prefix.size());
    guarded_call(res, [&] { (api->*handler)(as_api, res); });
  };
}

// `prefix` as a regular expression: '.', the one character of a run name that means something there, escaped.
std::string route_prefix(const std::string& prefix) {
  std::string pattern;
  for (char c : prefix) pattern += c == '.' ? std::string("[.]") : std::string(1, c);
  return pattern;
}

// The body of a request, at most kMaxRequestBodyBytes: 413 beyond (httplib stops reading there itself), or
// when it could not be read whole.
std::string read_body(const httplib::ContentReader& read) {
  const auto too_large = [] {
    return HttpError(413, "request body larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes");
  };
  std::string body;
  const bool complete = read([&](const char* data, size_t size) {
    if (body.size() + size > kMaxRequestBodyBytes) return false;
    body.append(data, size);
    return true;
  });
  if (!complete) throw too_large();
  return body;
}

}  // namespace

void Api::add_routes(httplib::Server& server, const std::string& prefix) {
  const std::string at = route_prefix(prefix);
  const auto get = [&](const char* route, auto handler) {
    server.Get(at + route, guarded(handler, this, prefix));
  };
  get("/run", &Api::run_info);
  get("/tokens", &Api::tokens);
  get("/layout/.*", &Api::layout);
  get("/layouts/.*", &Api::all_layouts);
  get("/attention/.*", &Api::attention);
  get("/norms/.*", &Api::norms);
  get("/value-norms/.*", &Api::value_norms);
  get("/search", &Api::search);
  get("/aggregate/.*", &Api::aggregate);
  get("/image/.*", &Api::image);
  get("/heads", &Api::heads);
  get("/neighbours/.*", &Api::neighbours);
  // The one route that takes a body (up to kMaxRequestBodyBytes; httplib answers 413 above it).
  server.Post(at + "/probe",
              [this](const httplib::Request&, httplib::Response& res, const httplib::ContentReader& read) {
                guarded_call(res, [&] { create_probe(read_body(read), res); });
              });
  get("/probe/.*", &Api::probe_routes);
}

}  // namespace attnviz::server
