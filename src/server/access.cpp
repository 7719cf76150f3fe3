#include "server/access.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "server/http_util.hpp"

namespace attnviz::server {

namespace {

using Outcome = httplib::Server::HandlerResponse;

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The name in a Host header: "name", "name:port", "[v6]" or "[v6]:port", lowercase, without a final dot.
std::string host_name(std::string_view header) {
  std::string_view name = header;
  if (header.starts_with('[')) {
    name = header.substr(1, header.find(']') - 1);
  } else if (const size_t colon = header.rfind(':'); colon != std::string_view::npos) {
    name = header.substr(0, colon);
  }
  if (name.ends_with('.')) name.remove_suffix(1);
  return lowercase(name);
}

bool is_ip_address(const std::string& name) {
  in_addr v4;
  in6_addr v6;
  return ::inet_pton(AF_INET, name.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, name.c_str(), &v6) == 1;
}

// The value of cookie `name` in the request's Cookie headers; empty when absent.
std::string cookie(const httplib::Request& req, const std::string& name) {
  const size_t headers = req.get_header_value_count("Cookie");
  for (size_t h = 0; h < headers; ++h) {
    const std::string line = req.get_header_value("Cookie", h);
    size_t start = 0;
    while (start < line.size()) {
      const size_t end = std::min(line.find(';', start), line.size());
      std::string_view pair = std::string_view(line).substr(start, end - start);
      while (pair.starts_with(' ')) pair.remove_prefix(1);
      if (pair.starts_with(name + "=")) return std::string(pair.substr(name.size() + 1));
      start = end + 1;
    }
  }
  return "";
}

void validate_token(const std::string& token) {
  const bool safe = std::all_of(token.begin(), token.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
  });
  if (token.size() < 16 || !safe)
    throw Error("the access token must be at least 16 characters of A-Z a-z 0-9 - _ . ~");
}

}  // namespace

Access::Access(AccessOptions options) : options_(std::move(options)) {
  if (!options_.token.empty()) validate_token(options_.token);
  for (std::string& name : options_.allowed_hosts) name = host_name(name);
  char name[256] = "";
  if (::gethostname(name, sizeof(name) - 1) == 0) machine_name_ = lowercase(name);
}

bool Access::host_allowed(std::string_view host_header) const {
  const std::string name = host_name(host_header);
  const auto& allowed = options_.allowed_hosts;
  return is_ip_address(name) || name == "localhost" || name.ends_with(".localhost") ||
         (!machine_name_.empty() && name == machine_name_) ||
         std::find(allowed.begin(), allowed.end(), name) != allowed.end() ||
         std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
}

bool Access::token_matches(std::string_view candidate) const {
  const std::string& token = options_.token;
  if (candidate.size() != token.size()) return false;
  unsigned char difference = 0;  // every byte compared, so that the time says nothing about the token
  for (size_t i = 0; i < token.size(); ++i) difference |= static_cast<unsigned char>(candidate[i] ^ token[i]);
  return difference == 0;
}

Outcome Access::check(const httplib::Request& req, httplib::Response& res) const {
  const std::string host = req.get_header_value("Host");
  if (!host.empty() && !host_allowed(host)) {
    reply_error(res, 403,
                "Host " + printable(host) +
                    " does not name this server (DNS rebinding?); if it is your name for it, start attnviz "
                    "with --allow-host " +
                    printable(host_name(host)));
    return Outcome::Handled;
  }
  const bool read_only = req.method == "GET" || req.method == "HEAD";
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  if ((site == "cross-site" || site == "same-site") &&
      !(read_only && req.get_header_value("Sec-Fetch-Mode") == "navigate")) {
    reply_error(res, 403,
                "refused: a request made by another site's page (Sec-Fetch-Site: " + printable(site) + ")");
    return Outcome::Handled;
  }
  if (options_.token.empty()) return Outcome::Unhandled;

  const std::string authorization = req.get_header_value("Authorization");
  if (lowercase(authorization.substr(0, 7)) == "bearer " && token_matches(authorization.substr(7)))
    return Outcome::Unhandled;
  const std::string cookie_name = "attnviz-token-" + std::to_string(req.local_port);
  if (token_matches(cookie(req, cookie_name))) return Outcome::Unhandled;
  if (token_matches(req.get_param_value("token"))) {
    if (req.path != "/" || !read_only) return Outcome::Unhandled;
    // The link the server printed: keep the token in a cookie and take it out of the address bar.
    res.set_header("Set-Cookie", cookie_name + "=" + options_.token + "; Path=/; HttpOnly; SameSite=Strict");
    res.set_redirect("/", 303);
    return Outcome::Handled;
  }
  res.set_header("WWW-Authenticate", "Bearer realm=\"attnviz\"");
  reply_error(res, 401,
              "this server needs its token: open the link it printed (/?token=...), or send Authorization: "
              "Bearer TOKEN");
  return Outcome::Handled;
}

bool is_loopback_host(const std::string& host) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (host.empty() || ::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  bool loopback = true;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      loopback = loopback && (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      loopback =
          loopback && IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    } else {
      loopback = false;
    }
  }
  ::freeaddrinfo(found);
  return loopback;
}

std::string random_token() {
  unsigned char bytes[32];
  if (::getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes)))
    throw Error("cannot draw a random token: the system's random source failed");
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char byte : bytes) token += {kHex[byte >> 4], kHex[byte & 15]};
  return token;
}

}  // namespace attnviz::server
