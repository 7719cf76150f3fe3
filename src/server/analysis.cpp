#include "server/analysis.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cmath>

#include "core/parallel.hpp"

namespace attnviz::server {

std::vector<float> row_norms(std::span<const float> matrix, int64_t cols) {
  std::vector<float> norms(matrix.size() / static_cast<size_t>(cols));
  for (size_t row = 0; row < norms.size(); ++row) {
    double sum = 0;
    for (float x : matrix.subspan(row * cols, cols)) sum += double(x) * x;
    norms[row] = static_cast<float>(std::sqrt(sum));
  }
  return norms;
}

std::vector<float> head_norms(const Run& run, int layer, int head) {
  const int dim = run.model().head_dim;
  std::vector<float> norms = row_norms(run.queries(layer, head), dim);
  std::vector<float> key_norms = row_norms(run.keys(layer, run.model().kv_head_for(head)), dim);
  norms.insert(norms.end(), key_norms.begin(), key_norms.end());
  return norms;
}

std::vector<float> head_value_norms(const Run& run, int layer, int head) {
  return row_norms(run.values(layer, run.model().kv_head_for(head)), run.model().head_dim);
}

std::vector<float> value_norm_weighted(std::span<const float> attention, std::span<const float> value_norms) {
  const size_t t = value_norms.size();
  std::vector<float> weighted(attention.begin(), attention.end());
  for (size_t i = 0; i < t; ++i) {
    float* row = weighted.data() + i * t;
    double sum = 0;
    for (size_t j = 0; j < t; ++j) sum += row[j] *= value_norms[j];
    if (sum > 0)
      for (size_t j = 0; j < t; ++j) row[j] = static_cast<float>(row[j] / sum);
  }
  return weighted;
}

RelativeAttention relative_attention(const Run& run, int layer, int head) {
  const auto& sequences = run.sequences();
  int64_t longest = 1;
  for (const auto& sequence : sequences) longest = std::max(longest, sequence.token_count);
  const int radius = static_cast<int>(longest - 1);
  const size_t width = 2 * static_cast<size_t>(radius) + 1;

  // Per-thread sums over contiguous blocks of sequences, added up at the end.
  const int threads = std::max(1, std::min<int>(default_threads(), static_cast<int>(sequences.size())));
  std::vector<std::vector<double>> sums(threads, std::vector<double>(width));
  std::vector<std::vector<int64_t>> counts(threads, std::vector<int64_t>(width));
  const int64_t block = (static_cast<int64_t>(sequences.size()) + threads - 1) / threads;
  parallel_for(threads, threads, [&](int64_t t) {
    const int64_t end = std::min<int64_t>(static_cast<int64_t>(sequences.size()), (t + 1) * block);
    for (int64_t s = t * block; s < end; ++s) {
      const int64_t n = sequences[s].token_count;
      std::vector<float> attention = run.attention(layer, head, static_cast<int>(s));
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          sums[t][j - i + radius] += attention[i * n + j];
          ++counts[t][j - i + radius];
        }
      }
    }
  });

  RelativeAttention result;
  for (int offset = -radius; offset <= radius; ++offset) {
    double sum = 0;
    int64_t count = 0;
    for (int t = 0; t < threads; ++t) {
      sum += sums[t][offset + radius];
      count += counts[t][offset + radius];
    }
    result.offsets.push_back(offset);
    result.mean.push_back(count ? sum / count : 0.0);
  }
  return result;
}

std::string search_key(std::string_view token) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(token.data());
  auto size = static_cast<utf8proc_ssize_t>(token.size());
  std::string key;
  utf8proc_ssize_t at = 0;
  while (at < size) {
    utf8proc_int32_t code = 0;
    utf8proc_ssize_t length = utf8proc_iterate(bytes + at, size - at, &code);
    if (length <= 0) {  // not UTF-8: keep the byte as it is
      key.push_back(token[at]);
      ++at;
      continue;
    }
    at += length;
    utf8proc_uint8_t encoded[4];
    utf8proc_ssize_t written = utf8proc_encode_char(utf8proc_tolower(code), encoded);
    key.append(reinterpret_cast<const char*>(encoded), static_cast<size_t>(written));
  }
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  size_t first = 0, last = key.size();
  while (first < last && is_space(key[first])) ++first;
  while (last > first && is_space(key[last - 1])) --last;
  return key.substr(first, last - first);
}

}  // namespace attnviz::server
