#include "layout/heads_map.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/interrupt.hpp"
#include "core/parallel.hpp"
#include "layout/blas_threads.hpp"
#include "layout/head_similarity.hpp"
#include "layout/metrics.hpp"

namespace attnviz {

namespace {

// Step 1: whole sequences in a seeded random order until they hold kHeadsSampleTokens tokens; ascending.
std::vector<int> sample_sequences(const Run& run, unsigned seed) {
  const int n = static_cast<int>(run.sequences().size());
  std::vector<int> order(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (int i = n - 1; i > 0; --i) std::swap(order[i], order[static_cast<int>(rng() % uint64_t(i + 1))]);
  std::vector<int> chosen;
  int64_t tokens = 0;
  for (int s : order) {
    if (tokens >= kHeadsSampleTokens) break;
    chosen.push_back(s);
    tokens += run.sequences()[s].token_count;
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

// A sampled query: the sequence (index into the sampled ones) and its position there.
struct Query {
  size_t sequence;
  int64_t position;
};

// Step 2: up to kHeadsSampleQueries of the sampled sequences' tokens, drawn with the seed, in order.
std::vector<Query> sample_queries(const Run& run, const std::vector<int>& sequences, unsigned seed) {
  std::vector<Query> all;
  for (size_t s = 0; s < sequences.size(); ++s)
    for (int64_t i = 0; i < run.sequences()[sequences[s]].token_count; ++i) all.push_back({s, i});
  std::vector<Query> queries;
  for (int64_t index : sample_indices(static_cast<int64_t>(all.size()), kHeadsSampleQueries, seed))
    queries.push_back(all[index]);
  return queries;
}

}  // namespace

HeadsMap compute_heads_map(const Run& run, unsigned seed, int threads) {
  const RunModel& m = run.model();
  const int heads = m.num_layers * m.num_heads;
  if (threads <= 0) threads = default_threads();
  SingleThreadedBlas single_blas;  // attention is computed per head on this function's own threads
  HeadsMap map;
  map.seed = seed;
  const std::vector<int> sequences = sample_sequences(run, seed);
  const std::vector<Query> queries = sample_queries(run, sequences, seed);
  map.sample_sequences = static_cast<int64_t>(sequences.size());
  for (int s : sequences) map.sample_tokens += run.sequences()[s].token_count;
  map.sample_queries = static_cast<int64_t>(queries.size());

  AttentionRows rows;
  for (const Query& q : queries)
    rows.row_lengths.push_back(m.causal ? q.position + 1
                                        : run.sequences()[sequences[q.sequence]].token_count);
  rows.heads.resize(static_cast<size_t>(heads));
  map.heads.resize(static_cast<size_t>(heads));

  // Step 3: per head, its statistics over the sampled sequences and its rows for the sampled queries.
  const TokenTable& table = run.tokens();
  parallel_for(heads, threads, [&](int64_t index) {
    throw_if_interrupted();
    const int layer = static_cast<int>(index) / m.num_heads, head = static_cast<int>(index) % m.num_heads;
    HeadTypeStats stats;
    std::vector<float>& mine = rows.heads[index];
    size_t next_query = 0;
    for (size_t s = 0; s < sequences.size(); ++s) {
      const RunSequence& seq = run.sequences()[sequences[s]];
      const std::vector<float> a = run.attention(layer, head, sequences[s]);
      stats.add_sequence(a.data(), seq.token_count, &table.special[seq.first_token],
                         &table.token_id[seq.first_token], m.causal);
      for (; next_query < queries.size() && queries[next_query].sequence == s; ++next_query) {
        const float* row = &a[queries[next_query].position * seq.token_count];
        mine.insert(mine.end(), row, row + rows.row_lengths[next_query]);
      }
    }
    HeadSummary& summary = map.heads[index];
    summary.layer = layer;
    summary.head = head;
    summary.scores = stats.scores();
    summary.scores[static_cast<int>(HeadType::Induction)] = run.induction(layer, head);
    summary.type = head_type(summary.scores);
    for (int d = -kMaxOffset; d <= kMaxOffset; ++d) summary.offsets[d + kMaxOffset] = stats.offset_mass(d);
    summary.fingerprint = stats.fingerprint(summary.scores);
  });

  // Step 4: divergences, then the order and the map (MDS of the Jensen-Shannon distance, the square root
  // of the divergence, which is a metric).
  map.divergence = divergence_matrix(rows, threads);
  map.order = similarity_order(map.divergence, heads);
  std::vector<double> distance(map.divergence.size());
  std::transform(map.divergence.begin(), map.divergence.end(), distance.begin(),
                 [](double d) { return std::sqrt(d); });
  const std::vector<double> points = classical_mds(distance, heads, 2);
  for (int h = 0; h < heads; ++h) map.heads[h].map = {points[2 * h], points[2 * h + 1]};
  return map;
}

}  // namespace attnviz
