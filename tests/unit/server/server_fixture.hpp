#pragma once
// A real Server on a free 127.0.0.1 port over a TestRun, and an httplib client talking to it.
#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/server.hpp"
#include "test_run.hpp"

namespace attnviz::testing {

// httplib's client writes without MSG_NOSIGNAL: a server that closes a connection in the middle of a request
// (as it should, for some requests) must not kill the test process.
inline const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(web.path() / "assets");
    ServerOptions options;
    options.run_dir = run.dir;
    options.web_dir = web.path();
    options.port = 0;
    server = std::make_unique<Server>(options);
    port = server->start();
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
    client->set_url_encode(false);  // send paths exactly as the tests write them
  }
  void TearDown() override { server->stop(); }

  httplib::Result get(const std::string& path) {
    auto result = client->Get(path.c_str());
    EXPECT_TRUE(result) << "no response for " << path;
    return result;
  }

  nlohmann::json get_json(const std::string& path) {
    auto result = get(path);
    EXPECT_EQ(result->status, 200) << path << ": " << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    return nlohmann::json::parse(result->body);
  }

  static std::vector<float> floats(const httplib::Result& result) {
    std::vector<float> values(result->body.size() / sizeof(float));
    std::memcpy(values.data(), result->body.data(), values.size() * sizeof(float));
    return values;
  }

  // Status and a one-line JSON {"error": ...}; returns the message.
  std::string expect_error(const std::string& path, int status) {
    auto result = get(path);
    EXPECT_EQ(result->status, status) << path << ": " << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json") << path;
    auto body = nlohmann::json::parse(result->body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error") && body["error"].is_string()) << result->body;
    std::string message = body.value("error", "");
    EXPECT_FALSE(message.empty()) << path;
    EXPECT_EQ(message.find('\n'), std::string::npos) << path;
    return message;
  }

  TestRun run;
  TempDir web;
  std::unique_ptr<Server> server;
  int port = 0;
  std::unique_ptr<httplib::Client> client;
};

}  // namespace attnviz::testing
