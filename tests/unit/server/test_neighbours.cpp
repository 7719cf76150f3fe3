// GET /api/neighbours against a brute force over the test run's vectors and layouts (docs/api.md).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "server/neighbours.hpp"
#include "server_fixture.hpp"

namespace attnviz::test {
namespace {

using Neighbours = ServerTest;

// Every point of the other kind with its scaled q·k (in double) and its joint index, highest first.
std::vector<std::pair<double, int64_t>> brute_scores(const TestRun& run, int layer, int head, int64_t point) {
  const int kv = head / (TestRun::kHeads / TestRun::kKvHeads);
  const bool query = point < run.n;
  const float* self = query ? run.query(layer, head, point) : run.key(layer, kv, point - run.n);
  std::vector<std::pair<double, int64_t>> scores;
  for (int64_t j = 0; j < run.n; ++j) {
    const float* other = query ? run.key(layer, kv, j) : run.query(layer, head, j);
    double dot = 0;
    for (int i = 0; i < TestRun::kHeadDim; ++i) dot += double(self[i]) * other[i];
    scores.emplace_back(dot / std::sqrt(double(TestRun::kHeadDim)), query ? run.n + j : j);
  }
  std::sort(scores.begin(), scores.end(), [](auto& a, auto& b) { return a.first > b.first; });
  return scores;
}

// 1 + how many points of the other kind are strictly closer to `point` in `layout` [2N, dim] than `target`.
int64_t brute_rank(const std::vector<float>& layout, int dim, const TestRun& run, int64_t point,
                   int64_t target) {
  const auto distance = [&](int64_t j) {
    double sum = 0;
    for (int c = 0; c < dim; ++c) sum += std::pow(double(layout[j * dim + c]) - layout[point * dim + c], 2);
    return sum;
  };
  const int64_t first = point < run.n ? run.n : 0;
  int64_t closer = 0;
  for (int64_t j = first; j < first + run.n; ++j) closer += distance(j) < distance(target);
  return 1 + closer;
}

// A layout whose points are spread irregularly, so that ranks differ from index order.
std::vector<float> spread_layout(const TestRun& run, int dim, int layer, int head) {
  std::vector<float> points(static_cast<size_t>(2 * run.n * dim));
  for (size_t i = 0; i < points.size(); ++i)
    points[i] = static_cast<float>(std::sin(1.7 * i + 0.3 * layer + 0.11 * head) * 10.0);
  return points;
}

void write_layout(const TestRun& run, const std::string& name, int dim, int layer, int head) {
  const std::vector<float> points = spread_layout(run, dim, layer, head);
  std::filesystem::create_directories(run.dir / "layouts");
  write_safetensors(run.dir / "layouts" / (name + ".safetensors"),
                    {{"l" + std::to_string(layer) + ".h" + std::to_string(head),
                      DType::F32,
                      {2 * run.n, dim},
                      std::as_bytes(std::span<const float>(points))}});
}

TEST_F(Neighbours, QueriesAndKeysGetTheirTopScaledDotProductsWithLayoutRanks) {
  // Layer 1 head 3: key head 1 under grouped-query attention.
  for (auto [layer, head, dim] : {std::tuple{1, 3, 2}, std::tuple{0, 0, 3}}) {
    const std::string name = "tsne-" + std::to_string(dim) + "d";
    write_layout(run, name, dim, layer, head);
    const std::vector<float> layout = spread_layout(run, dim, layer, head);
    for (int64_t point : {int64_t{0}, int64_t{4}, run.n - 1, run.n, run.n + 7, 2 * run.n - 1}) {
      for (int k : {1, 5, 1000}) {
        const std::string path = "/api/neighbours/" + std::to_string(layer) + "/" + std::to_string(head) +
                                 "/" + std::to_string(point) + "?k=" + std::to_string(k) + "&layout=" + name;
        const auto body = get_json(path);
        const auto expected = brute_scores(run, layer, head, point);
        EXPECT_EQ(body["point"], point);
        EXPECT_EQ(body["layout"], name);
        const auto& got = body["neighbours"];
        ASSERT_EQ(got.size(), std::min<size_t>(k, run.n)) << path;
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_EQ(got[i]["point"], expected[i].second) << path << " #" << i;
          EXPECT_NEAR(got[i]["score"].get<double>(), expected[i].first, 1e-5) << path << " #" << i;
          EXPECT_EQ(got[i]["layout_rank"], brute_rank(layout, dim, run, point, expected[i].second)) << path;
        }
      }
    }
  }
}

TEST_F(Neighbours, DefaultsToTenNeighboursInTheTsne2dLayout) {
  write_layout(run, "tsne-2d", 2, 0, 1);
  const auto body = get_json("/api/neighbours/0/1/3");
  EXPECT_EQ(body["layout"], "tsne-2d");
  EXPECT_EQ(body["neighbours"].size(), 10u);
}

TEST_F(Neighbours, AComputedLayoutServesOnceComputedAndOtherwiseIs409) {
  const std::string message = expect_error("/api/neighbours/0/2/1?layout=pca-2d", 409);
  EXPECT_NE(message.find("/api/layout/pca/2/0/2"), std::string::npos) << message;
  const auto layout = get("/api/layout/pca/2/0/2");
  ASSERT_EQ(layout->status, 200);
  const std::vector<float> points = floats(layout);
  const auto body = get_json("/api/neighbours/0/2/1?layout=pca-2d&k=4");
  ASSERT_EQ(body["neighbours"].size(), 4u);
  for (const auto& neighbour : body["neighbours"])
    EXPECT_EQ(neighbour["layout_rank"], brute_rank(points, 2, run, 1, neighbour["point"].get<int64_t>()));
}

TEST_F(Neighbours, BadInputsAre400And404) {
  write_layout(run, "tsne-2d", 2, 0, 0);
  const std::string n2 = std::to_string(2 * run.n);
  for (const std::string path :
       {"/api/neighbours/0/0", "/api/neighbours/0/0/1/2", "/api/neighbours/x/0/0", "/api/neighbours/0/0/-1",
        "/api/neighbours/0/0/1.5", "/api/neighbours/0/0/99999999999999999999", "/api/neighbours/0/0/0?k=0",
        "/api/neighbours/0/0/0?k=1001", "/api/neighbours/0/0/0?k=-3", "/api/neighbours/0/0/0?k=ten",
        "/api/neighbours/0/0/0?k=", "/api/neighbours/0/0/0?k=1&k=2", "/api/neighbours/0/0/0?layout=tsne",
        "/api/neighbours/0/0/0?layout=", "/api/neighbours/0/0/0?layout=tsne-2",
        "/api/neighbours/0/0/0?layout=tsne-2d&layout=pca-2d"}) {
    expect_error(path, 400);
  }
  EXPECT_NE(expect_error("/api/neighbours/0/0/" + n2, 404).find("point " + n2), std::string::npos);
  for (const std::string path :
       {"/api/neighbours/2/0/0", "/api/neighbours/0/4/0", "/api/neighbours/0/0/0?layout=foo-2d",
        "/api/neighbours/0/0/0?layout=tsne-4d", "/api/neighbours/0/0/0?layout=tsne-xd"}) {
    expect_error(path, path.ends_with("xd") ? 400 : 404);
  }
  EXPECT_EQ(client->Post("/api/neighbours/0/0/0", "", "text/plain")->status, 405);  // GET only
}

// A run's vectors or a layout holding NaN (a broken file) rank last / farthest: the sorts stay well defined.
TEST(NeighbourScores, NaNRanksLastAndFarthest) {
  const std::vector<float> self = {1, 0}, others = {1, 0, NAN, 0, 2, 0, 0, NAN};
  const auto top = server::top_scores(self, others, 2, 1.0f, 4);
  ASSERT_EQ(top.size(), 4u);
  EXPECT_EQ(top[0].index, 2);
  EXPECT_EQ(top[1].index, 0);
  EXPECT_EQ(top[2].score, -INFINITY);
  EXPECT_EQ(top[3].score, -INFINITY);
  const std::vector<float> layout = {0, 0, NAN, 1, 1, 0, 3, 0};  // point 0 and three others, 2D
  EXPECT_EQ(server::layout_ranks(layout, 2, 0, 1, 3, std::vector<int64_t>{1, 2, 3}),
            (std::vector<int64_t>{3, 1, 2}));
}

}  // namespace
}  // namespace attnviz::test
