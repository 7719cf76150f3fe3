// The Server's life: ports, errors at start, stopping, concurrent clients; and the pieces behind the routes.
#include <atomic>
#include <regex>
#include <thread>

#include "core/error.hpp"
#include "server/analysis.hpp"
#include "server/computed_layouts.hpp"
#include "server_fixture.hpp"

namespace attnviz::test {
namespace {

TEST_F(ServerTest, StartsOnAFreePortAndStops) {
  EXPECT_GT(port, 0);
  EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_EQ(get("/api/run")->status, 200);
  std::thread waiter([this] { server->wait(); });
  server->stop();
  waiter.join();
  EXPECT_FALSE(client->Get("/api/run")) << "nothing listens after stop()";
  server->stop();  // a second stop is harmless
}

TEST_F(ServerTest, APortInUseSuggestsAnother) {
  ServerOptions options;
  options.run_dir = run.dir;
  options.port = port;
  Server second(options);
  try {
    second.start();
    FAIL() << "a second server bound port " << port;
  } catch (const Error& e) {
    const std::string message = e.what();
    std::smatch match;
    ASSERT_TRUE(std::regex_match(
        message, match,
        std::regex("port " + std::to_string(port) + " on 127\\.0\\.0\\.1 is in use; port (\\d+) is free")))
        << message;
    EXPECT_NE(std::stoi(match[1]), port);
  }
  EXPECT_EQ(get("/api/run")->status, 200) << "the first server is unaffected";
}

TEST(ServerOpen, BadRunOrWebFolderIsAnError) {
  TempDir empty;
  ServerOptions options;
  options.run_dir = empty.path();
  EXPECT_THROW(Server{options}, Error);
  TestRun run;
  options.run_dir = run.dir;
  options.web_dir = empty.path() / "no-such-folder";
  try {
    Server server(options);
    FAIL() << "a missing web UI folder was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-folder"), std::string::npos) << e.what();
  }
}

TEST_F(ServerTest, ManyConcurrentClientsAllGetAnswers) {
  std::atomic<int> ok = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([this, c, &ok] {
      httplib::Client mine("127.0.0.1", port);
      for (int r = 0; r < 20; ++r) {
        const std::string path = "/api/attention/" + std::to_string((c + r) % 2) + "/" +
                                 std::to_string(r % 4) + "/" + std::to_string(c % 3);
        auto result = mine.Get(path.c_str());
        if (result && result->status == 200) ++ok;
      }
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(ok, 16 * 20);
}

TEST(ComputedLayouts, ConcurrentIdenticalRequestsAreComputedOnce) {
  TestRun run;
  server::ComputedLayouts layouts(Run::open(run.dir));
  LayoutRequest request;
  request.layer = 1;
  request.head = 2;
  std::vector<server::ComputedLayouts::Layout> results(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = layouts.get(request); });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(layouts.computations(), 1);
  for (const auto& result : results) EXPECT_EQ(result, results[0]);
  EXPECT_EQ(results[0]->size(), static_cast<size_t>(2 * run.n * 2));
  request.head = 3;
  layouts.get(request);
  EXPECT_EQ(layouts.computations(), 2);
}

TEST(ComputedLayouts, OldestAreDroppedBeyondTheBudget) {
  TestRun run;
  const size_t one = static_cast<size_t>(2 * run.n * 2) * sizeof(float);
  server::ComputedLayouts layouts(Run::open(run.dir), one);  // room for one layout
  LayoutRequest a, b;
  b.head = 1;
  layouts.get(a);
  layouts.get(b);
  layouts.get(b);
  EXPECT_EQ(layouts.computations(), 2);
  layouts.get(a);
  EXPECT_EQ(layouts.computations(), 3);
}

TEST(Search, KeyTrimsAndLowercasesUnicode) {
  EXPECT_EQ(server::search_key("  The\t"), "the");
  EXPECT_EQ(server::search_key("ÉCOLE"), "école");
  EXPECT_EQ(server::search_key(" ,"), ",");
  EXPECT_EQ(server::search_key("   "), "");
  EXPECT_EQ(server::search_key("A\xff"), "a\xff");  // not UTF-8: bytes kept
}

TEST(Norms, RowNorms) {
  const std::vector<float> m = {3, 4, 0, 0, 1, 0};
  EXPECT_EQ(server::row_norms(m, 2), (std::vector<float>{5, 0, 1}));
}

}  // namespace
}  // namespace attnviz::test
