#pragma once
// Who may talk to the server (docs/security.md), checked before any route:
//   1. the Host header must name this server: an IP address, localhost (or *.localhost), this machine's host
//      name, or a name given with --allow-host ("*": any). A web page that rebinds its own domain name to
//      127.0.0.1 (DNS rebinding) sends that domain and is refused 403;
//   2. a browser's request made by another site's page (Sec-Fetch-Site cross-site or same-site) is refused
//      403, unless it is the user following a link (a navigation);
//   3. with a token, every request carries it: "Authorization: Bearer TOKEN", or the cookie that opening
//      /?token=TOKEN sets (the page then reloads without the token in its address), or ?token=TOKEN on any
//      URL; otherwise 401. The page's own requests are same-origin, so the cookie goes with them. The cookie
//      is named after the port, so that servers on several ports of one machine keep theirs apart.
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

namespace attnviz::server {

struct AccessOptions {
  std::string token;                       // empty: none needed
  std::vector<std::string> allowed_hosts;  // Host names accepted besides the built-in ones
};

class Access {
 public:
  explicit Access(AccessOptions options);

  // Handled: refused or redirected, the answer is in `res`; Unhandled: the request goes on to its route.
  httplib::Server::HandlerResponse check(const httplib::Request& req, httplib::Response& res) const;

 private:
  bool host_allowed(std::string_view host_header) const;
  bool token_matches(std::string_view candidate) const;

  AccessOptions options_;
  std::string machine_name_;  // gethostname(), lowercase
};

// Whether `host` (a name or address to listen on) means this machine's loopback interface only.
bool is_loopback_host(const std::string& host);

// 32 random bytes in hex, for --token auto.
std::string random_token();

}  // namespace attnviz::server
