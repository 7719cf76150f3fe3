// Placing new points into a layout (layout/place.hpp): a point already in the dataset lands on itself, a new
// point of a cluster lands among that cluster's points.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "layout/head_input.hpp"
#include "layout/pca.hpp"
#include "layout/place.hpp"
#include "layout/umap.hpp"
#include "support/clusters.hpp"

namespace attnviz {
namespace {

constexpr int kDim = 16, kClusters = 5, kPerCluster = 120;
constexpr int64_t kN = kClusters * kPerCluster;

constexpr int kFresh = 4;  // held-out points per cluster

// kN dataset points, then kClusters x kFresh held-out points of the same clusters (point i: cluster i % 5).
const std::vector<float>& points() {
  static const std::vector<float> x = test::gaussian_clusters(kClusters, kPerCluster + kFresh, kDim, 8, 3);
  return x;
}

double extent(const std::vector<float>& y, int dim) {
  double e = 0;
  for (int c = 0; c < dim; ++c) {
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = c; i < y.size(); i += dim) lo = std::min(lo, y[i]), hi = std::max(hi, y[i]);
    e = std::max(e, double(hi - lo));
  }
  return e;
}

// Displacements of the placed points from where the layout has them, as fractions of its extent.
std::vector<double> displacements(const std::vector<float>& placed, const std::vector<float>& layout,
                                  const std::vector<int64_t>& rows, int dim) {
  const double e = extent(layout, dim);
  std::vector<double> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    double d2 = 0;
    for (int c = 0; c < dim; ++c) d2 += std::pow(placed[i * dim + c] - layout[rows[i] * dim + c], 2);
    out.push_back(std::sqrt(d2) / e);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int64_t> sample_rows() {
  std::vector<int64_t> rows;
  for (int64_t i = 7; i < kN; i += 31) rows.push_back(i);
  return rows;
}

std::vector<float> gather(const std::vector<float>& x, const std::vector<int64_t>& rows) {
  std::vector<float> out;
  for (int64_t r : rows) out.insert(out.end(), x.begin() + r * kDim, x.begin() + (r + 1) * kDim);
  return out;
}

TEST(Place, PcaPutsADatasetPointExactlyOnItself) {
  const std::vector<float>& x = points();
  for (int out : {2, 3}) {
    const PcaResult p = pca(x.data(), kN, kDim, out);
    const std::vector<int64_t> rows = sample_rows();
    const std::vector<float> y = place_pca(gather(x, rows).data(), int64_t(rows.size()), kDim,
                                           std::vector<float>(p.mean.begin(), p.mean.end()),
                                           std::vector<float>(p.axes.begin(), p.axes.end()));
    EXPECT_LE(displacements(y, p.projection, rows, out).back(), 1e-4);
  }
}

TEST(Place, IndexFindsTheSameNeighboursAsTheGraph) {
  const std::vector<float>& x = points();
  for (Metric metric : {Metric::Cosine, Metric::Euclidean}) {
    KnnOptions o;
    o.k = 10;
    o.metric = metric;
    const KnnGraph graph = nearest_neighbours(x.data(), kN, kDim, o);
    const PlaceIndex index(x.data(), kN, kDim, metric);
    const KnnGraph found = index.nearest(x.data(), kN, 11);  // the point itself first, then its neighbours
    for (int64_t i = 0; i < kN; ++i) {
      EXPECT_EQ(found.index[i * 11], i);
      for (int j = 0; j < 10; ++j)
        EXPECT_NEAR(found.distance[i * 11 + 1 + j], graph.distance[i * 10 + j], 1e-3);
    }
  }
}

class PlaceMethod : public ::testing::TestWithParam<std::tuple<LayoutMethod, int>> {};

// k and the placement of a method, as the server chains them.
std::vector<float> place(LayoutMethod method, const PlaceIndex& index, const std::vector<float>& x, int64_t m,
                         const std::vector<float>& layout, int dim) {
  if (method == LayoutMethod::TSNE) {
    PlaceTsneOptions o;
    o.perplexity = std::min(o.perplexity, layout_neighbours_needed(kN, true) / 3.0);
    const KnnGraph g = index.nearest(x.data(), m, static_cast<int>(std::ceil(3 * o.perplexity)));
    return place_tsne(g, layout.data(), kN, TsneField(layout.data(), kN, dim), o);
  }
  const KnnGraph g = index.nearest(x.data(), m, UmapOptions{}.neighbors);
  return place_umap(g, layout.data(), kN, dim, {});
}

TEST_P(PlaceMethod, DatasetPointsLandOnThemselves) {
  const auto [method, dim] = GetParam();
  const std::vector<float>& x = points();
  const std::vector<float> layout =
      layout_points(x.data(), kN, kDim, method, dim, Metric::Cosine, 42, 1).points;
  const PlaceIndex index(x.data(), kN, kDim, Metric::Cosine);
  const std::vector<int64_t> rows = sample_rows();
  const std::vector<double> d = displacements(
      place(method, index, gather(x, rows), int64_t(rows.size()), layout, dim), layout, rows, dim);
  EXPECT_LE(d[d.size() / 2], 0.02);
  EXPECT_LE(d[d.size() * 9 / 10], 0.05);
}

TEST_P(PlaceMethod, NewPointsLandInTheirCluster) {
  const auto [method, dim] = GetParam();
  const std::vector<float>& x = points();
  const std::vector<float> fresh(x.begin() + kN * kDim, x.end());
  const std::vector<float> layout =
      layout_points(x.data(), kN, kDim, method, dim, Metric::Cosine, 42, 1).points;
  const PlaceIndex index(x.data(), kN, kDim, Metric::Cosine);
  const std::vector<float> y = place(method, index, fresh, kClusters * kFresh, layout, dim);
  // Each new point's nearest laid-out point belongs to its own cluster.
  for (int64_t i = 0; i < kClusters * kFresh; ++i) {
    int64_t best = 0;
    double best_d = INFINITY;
    for (int64_t j = 0; j < kN; ++j) {
      double d2 = 0;
      for (int c = 0; c < dim; ++c) d2 += std::pow(y[i * dim + c] - layout[j * dim + c], 2);
      if (d2 < best_d) best_d = d2, best = j;
    }
    EXPECT_EQ(best % kClusters, (kN + i) % kClusters) << "new point " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, PlaceMethod,
                         ::testing::Combine(::testing::Values(LayoutMethod::TSNE, LayoutMethod::UMAP),
                                            ::testing::Values(2, 3)));

}  // namespace
}  // namespace attnviz
