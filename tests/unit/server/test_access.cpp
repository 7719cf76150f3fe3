// Who may talk to the server (issue 11, items 10 and 11): the Host header, other sites' pages, the token;
// methods other than GET and HEAD; the headers and messages of every refusal.
#include <unistd.h>

#include <fstream>
#include <vector>

#include "core/error.hpp"
#include "raw_socket.hpp"
#include "server_fixture.hpp"

namespace attnviz::test {
namespace {

using Access = ServerTest;

TEST_F(Access, HostMustNameThisServer) {
  const std::string port_text = std::to_string(port);
  for (const std::string& host :
       std::vector<std::string>{"evil.example", "attacker.example.com:" + port_text, "127.0.0.1.evil.example",
                                "localhost.evil.example"}) {
    auto result = client->Get("/api/run", {{"Host", host}});
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 403) << host
                                   << ": a page rebinding its name to 127.0.0.1 must not read the API";
    EXPECT_NE(result->body.find("--allow-host"), std::string::npos) << result->body;
  }
  char name[256] = "";
  ::gethostname(name, sizeof(name) - 1);
  for (const std::string& host :
       std::vector<std::string>{"127.0.0.1:" + port_text, "localhost:" + port_text, "LOCALHOST",
                                "[::1]:" + port_text, "app.localhost", "10.1.2.3", std::string(name)}) {
    auto result = client->Get("/api/run", {{"Host", host}});
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200) << host;
  }
  RawSocket bare(port);  // HTTP/1.0 without a Host header: nothing to check
  bare.send("GET /api/run HTTP/1.0\r\n\r\n");
  EXPECT_EQ(status_of(bare.receive_all(std::chrono::seconds(5))), 200);
}

TEST(AccessOptions, AllowHostAddsNamesOrAll) {
  TestRun run;
  ServerOptions options;
  options.run_dir = run.dir;
  options.port = 0;
  options.allowed_hosts = {"viz.lab.example"};
  Server named(options);
  httplib::Client a("127.0.0.1", named.start());
  EXPECT_EQ(a.Get("/api/run", {{"Host", "viz.lab.example:8000"}})->status, 200);
  EXPECT_EQ(a.Get("/api/run", {{"Host", "VIZ.lab.example."}})->status, 200);
  EXPECT_EQ(a.Get("/api/run", {{"Host", "other.lab.example"}})->status, 403);
  options.allowed_hosts = {"*"};
  Server any(options);
  httplib::Client b("127.0.0.1", any.start());
  EXPECT_EQ(b.Get("/api/run", {{"Host", "other.lab.example"}})->status, 200);
}

TEST_F(Access, OtherSitesPagesMayOnlyNavigate) {
  auto fetch = [this](const std::string& site, const std::string& mode) {
    return client->Get("/api/run", {{"Sec-Fetch-Site", site}, {"Sec-Fetch-Mode", mode}})->status;
  };
  EXPECT_EQ(fetch("cross-site", "cors"), 403);
  EXPECT_EQ(fetch("cross-site", "no-cors"), 403);
  EXPECT_EQ(fetch("same-site", "cors"), 403) << "another port of localhost is another application";
  EXPECT_EQ(fetch("same-origin", "cors"), 200);
  EXPECT_EQ(fetch("none", "navigate"), 200);
  EXPECT_EQ(fetch("cross-site", "navigate"), 200) << "a link to the page";
  auto form = client->Post("/api/run", {{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Mode", "navigate"}},
                           "x=1", "application/x-www-form-urlencoded");
  EXPECT_EQ(form->status, 403) << "a cross-site form is not a link";
}

TEST_F(Access, EveryAnswerSaysNoSniff) {
  std::filesystem::create_directories(web.path());
  std::ofstream(web.path() / "index.html") << "<!doctype html>";
  for (const char* path : {"/api/run", "/api/tokens", "/api/attention/0/0/0", "/api/nothing",
                           "/api/layout/x/2/0/0", "/", "/missing.js"}) {
    auto result = get(path);
    EXPECT_EQ(result->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(result->get_header_value_count("X-Content-Type-Options"), 1u) << path;
  }
}

TEST_F(Access, OtherMethodsAre405WithoutReadingTheirBody) {
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    httplib::Request request;
    request.method = method;
    request.path = "/api/run";
    request.body = "{}";
    request.set_header("Content-Type", "application/json");
    auto result = client->send(request);
    ASSERT_TRUE(result) << method;
    EXPECT_EQ(result->status, 405) << method;
    EXPECT_EQ(result->get_header_value("Allow"), "GET, HEAD") << method;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json") << method;
    EXPECT_NE(result->body.find(std::string(method) + " '/api/run': method not allowed"), std::string::npos)
        << result->body;
  }
  // A 64 MB body announced, 1 MB of it sent: answered at once, the rest never read, the connection closed.
  RawSocket uploader(port);
  uploader.send("POST /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 67108864\r\n\r\n");
  uploader.send(std::string(1 << 20, 'x'));
  const std::string answer = uploader.receive_all(std::chrono::seconds(10));
  EXPECT_EQ(status_of(answer), 405) << answer.substr(0, 200);
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(uploader.closed()) << "the unread body must not be parsed as the next request";
}

TEST_F(Access, RefusalsBeforeAnyRouteAreOneLineJson) {
  RawSocket garbage(port);
  garbage.send("GARBAGE\r\n\r\n");
  std::string answer = garbage.receive_all(std::chrono::seconds(5));
  EXPECT_EQ(status_of(answer), 400);
  EXPECT_NE(answer.find("{\"error\":\"malformed HTTP request\"}"), std::string::npos) << answer;
  EXPECT_TRUE(garbage.closed()) << "nothing after a request that did not parse is read as the next one";

  RawSocket long_line(port);
  long_line.send("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  answer = long_line.receive_all(std::chrono::seconds(5));
  EXPECT_EQ(status_of(answer), 414);
  EXPECT_NE(answer.find("request line longer than 8192 bytes"), std::string::npos) << answer.substr(0, 300);

  // %00 in a path: the message shows it and goes on past it.
  const std::string message = expect_error("/api/attention/1%00abc/0/0", 400);
  EXPECT_NE(message.find("'1\\x00abc'"), std::string::npos) << message;
}

class TokenAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.run_dir = run.dir;
    options.port = 0;
    options.token = kToken;
    server = std::make_unique<Server>(options);
    port = server->start();
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  static constexpr const char* kToken = "s3cret-Token_0123456789";
  TestRun run;
  std::unique_ptr<Server> server;
  int port = 0;
  std::unique_ptr<httplib::Client> client;
};

TEST_F(TokenAccess, EveryRequestNeedsTheToken) {
  EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(port) + "/?token=" + kToken);
  for (const char* path : {"/api/run", "/", "/api/attention/0/0/0", "/assets/x.js"}) {
    auto refused = client->Get(path);
    EXPECT_EQ(refused->status, 401) << path;
    EXPECT_EQ(refused->get_header_value("WWW-Authenticate"), "Bearer realm=\"attnviz\"") << path;
  }
  EXPECT_EQ(client->Get("/api/run", {{"Authorization", std::string("Bearer ") + kToken}})->status, 200);
  EXPECT_EQ(client->Get("/api/run", {{"Authorization", std::string("bearer ") + kToken}})->status, 200);
  EXPECT_EQ(client->Get("/api/run", {{"Authorization", "Bearer s3cret-Token_0123456780"}})->status, 401);
  EXPECT_EQ(client->Get("/api/run", {{"Authorization", std::string("Basic ") + kToken}})->status, 401);
  EXPECT_EQ(client->Get((std::string("/api/run?token=") + kToken).c_str())->status, 200);
  EXPECT_EQ(client->Get("/api/run?token=")->status, 401);
}

TEST_F(TokenAccess, TheLinkSetsACookieAndLeavesTheAddressBar) {
  auto link = client->Get((std::string("/?token=") + kToken).c_str());
  ASSERT_TRUE(link);
  EXPECT_EQ(link->status, 303);
  EXPECT_EQ(link->get_header_value("Location"), "/");
  const std::string cookie = "attnviz-token-" + std::to_string(port) + "=" + kToken;
  EXPECT_EQ(link->get_header_value("Set-Cookie"), cookie + "; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_EQ(client->Get("/api/run", {{"Cookie", "other=1; " + cookie}})->status, 200);
  EXPECT_EQ(client->Get("/api/run", {{"Cookie", "attnviz-token-1=" + std::string(kToken)}})->status, 401)
      << "another port's cookie is another server's";
}

TEST(TokenOptions, AWeakTokenIsRefused) {
  TestRun run;
  ServerOptions options;
  options.run_dir = run.dir;
  for (const char* token : {"short", "has spaces in it ok", "semicolon;0123456789abcdef"}) {
    options.token = token;
    EXPECT_THROW(Server{options}, Error) << token;
  }
}

}  // namespace
}  // namespace attnviz::test
