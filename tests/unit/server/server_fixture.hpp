#pragma once
// The server tests' run, and a real Server on a free 127.0.0.1 port over it with an httplib client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/safetensors.hpp"
#include "server/server.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"

namespace attnviz::test {

// 2 layers, 4 query heads over 2 key heads (grouped-query attention), causal, three sentences, seeded random
// vectors in F32, written by the real RunWriter into dir.
struct TestRun {
  static constexpr int kLayers = 2, kHeads = 4, kKvHeads = 2, kHeadDim = 8;
  std::vector<std::vector<std::string>> sentences = {
      {"The", " cat", " sat", " on", " the", " mat"},
      {"A", " dog", "."},
      {"THE", " end", " of", " the", " story", " ,", " the", " End"},
  };
  TinyRun tiny = std::move(TinyRun::text({"gpt2", "text", kLayers, kHeads, kKvHeads, kHeadDim, true,
                                          1.0f / std::sqrt(float(kHeadDim))},
                                         sentences)
                               .random(7, 1.5f));
  TempDir temp;
  std::filesystem::path dir = temp / "run";
  int64_t n = tiny.tokens();

  TestRun() { tiny.write(dir); }
  const float* query(int layer, int head, int64_t token) const { return tiny.query(layer, head, token); }
  const float* key(int layer, int kv_head, int64_t token) const { return tiny.key(layer, kv_head, token); }
};

// Writes layouts/{name}.safetensors with the given heads, each [2N, dim] filled from (base, layer, head, i).
inline void write_layouts(const TestRun& run, const std::string& name, int dim,
                          const std::vector<std::pair<int, int>>& heads, float base) {
  std::vector<std::vector<float>> data;
  std::vector<TensorToWrite> tensors;
  for (auto [layer, head] : heads) {
    data.emplace_back(static_cast<size_t>(2 * run.n * dim));
    for (size_t i = 0; i < data.back().size(); ++i)
      data.back()[i] = base + layer * 100 + head * 10 + 0.001f * i;
  }
  for (size_t t = 0; t < heads.size(); ++t) {
    tensors.push_back({"l" + std::to_string(heads[t].first) + ".h" + std::to_string(heads[t].second),
                       DType::F32,
                       {2 * run.n, dim},
                       std::as_bytes(std::span<const float>(data[t]))});
  }
  std::filesystem::create_directories(run.dir / "layouts");
  write_safetensors(run.dir / "layouts" / (name + ".safetensors"), tensors);
}

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

}  // namespace attnviz::test
