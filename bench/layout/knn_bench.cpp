// The kNN graph of one set of points two ways, exact (blocked sgemm) and NN-descent, for
// bench/layout/knn_cpu.py: CPU seconds of each (this process's rusage; run it with one thread so that they
// are comparable with wall time on a shared machine) and NN-descent's recall against the exact graph.
//
// Usage: knn_bench POINTS.f32 N DIM K [THREADS] [cosine|euclidean] [OUT]
//   POINTS.f32: N * DIM little-endian float32, row-major. Prints one JSON line. OUT: also writes both graphs'
//   neighbour indices, OUT.exact.i32 and OUT.nn_descent.i32 ([N, K] int32), for a check against another
//   reference (bench/layout/knn_cpu.py --float64 does).
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "layout/knn.hpp"

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// found: (graph, CPU seconds).
std::pair<attnviz::KnnGraph, double> timed(const std::vector<float>& x, int64_t n, int dim,
                                           attnviz::KnnOptions options) {
  const double start = cpu_seconds();
  attnviz::KnnGraph graph = attnviz::nearest_neighbours(x.data(), n, dim, options);
  return {std::move(graph), cpu_seconds() - start};
}

void write_indices(const std::string& path, const attnviz::KnnGraph& graph) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(graph.index.data()),
            static_cast<std::streamsize>(graph.index.size() * sizeof(int32_t)));
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: knn_bench POINTS.f32 N DIM K [THREADS] [cosine|euclidean] [OUT]\n");
    return 2;
  }
  try {
    const int64_t n = std::stoll(argv[2]);
    const int dim = std::stoi(argv[3]);
    attnviz::KnnOptions options;
    options.k = std::stoi(argv[4]);
    options.threads = argc > 5 ? std::stoi(argv[5]) : 1;
    options.metric = attnviz::parse_metric(argc > 6 ? argv[6] : "cosine");
    std::vector<float> x(static_cast<size_t>(n * dim));
    std::ifstream in(argv[1], std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(float))))
      throw std::runtime_error(std::string("cannot read ") + argv[1]);
    options.nn_descent_min_points = n + 1;  // exact
    const auto [exact, exact_seconds] = timed(x, n, dim, options);
    options.nn_descent_min_points = 1;
    options.nn_descent_points_per_k = 0;
    options.nn_descent_max_k = options.k;  // NN-descent
    const auto [found, descent_seconds] = timed(x, n, dim, options);
    // recall: the share of the exact neighbours found; tie_recall counts a neighbour as right when it is no
    // farther than the exact k-th (duplicate points make the exact choice among equals one of many).
    // distance_ratio: the mean over points of (sum of found distances) / (sum of exact distances), 1 at best.
    double recall = 0, tie_recall = 0, distance_ratio = 0;
    for (int64_t i = 0; i < n; ++i) {
      const auto row = exact.index.begin() + i * exact.k;
      const std::set<int32_t> truth(row, row + exact.k);
      const float kth = exact.distance[(i + 1) * exact.k - 1];
      double found_sum = 1e-12, exact_sum = 1e-12;
      for (int j = 0; j < found.k; ++j) {
        found_sum += found.distance[i * found.k + j];
        exact_sum += exact.distance[i * exact.k + j];
        recall += truth.count(found.index[i * found.k + j]) ? 1 : 0;
        tie_recall += found.distance[i * found.k + j] <= kth * (1 + 1e-5f) + 1e-6f ? 1 : 0;
      }
      distance_ratio += found_sum / exact_sum;
    }
    if (argc > 7) {
      write_indices(std::string(argv[7]) + ".exact.i32", exact);
      write_indices(std::string(argv[7]) + ".nn_descent.i32", found);
    }
    const double total = double(n) * exact.k;
    std::printf(
        "{\"exact_seconds\": %.4f, \"nn_descent_seconds\": %.4f, \"recall\": %.5f, \"tie_recall\": %.5f, "
        "\"distance_ratio\": %.5f}\n",
        exact_seconds, descent_seconds, recall / total, tie_recall / total, distance_ratio / double(n));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "knn_bench: %s\n", e.what());
    return 1;
  }
}
