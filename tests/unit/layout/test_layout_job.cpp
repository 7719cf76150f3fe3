// The layout job on small run directories written with the run writer.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <random>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "core/safetensors.hpp"
#include "layout/head_input.hpp"
#include "layout/layout_file.hpp"
#include "layout/layout_job.hpp"
#include "layout/layout_shards.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

constexpr int kLayers = 2, kHeads = 4, kKvHeads = 2, kHeadDim = 8, kSequences = 12, kTokens = 10;

// 12 sequences of 10 tokens; q and k of each head cluster by token position, so layouts have structure.
void write_run(const fs::path& dir) {
  const std::vector<std::vector<std::string>> sequences(
      kSequences, {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"});
  test::TinyRun run = test::TinyRun::text(
      {"llama", "text", kLayers, kHeads, kKvHeads, kHeadDim, true, 1.0f / std::sqrt(float(kHeadDim))},
      sequences);
  for (int s = 0; s < kSequences; ++s) run.contents.tokens.special[s * kTokens] = 1;
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  std::vector<float> centres(kTokens * kHeadDim * 2);  // per position: the queries' centre, then the keys'
  for (float& v : centres) v = 3 * g(rng);
  for (int layer = 0; layer < kLayers; ++layer)
    for (int64_t t = 0; t < run.tokens(); ++t) {
      const float* centre = &centres[(t % kTokens) * kHeadDim];
      for (int h = 0; h < kHeads; ++h)
        for (int c = 0; c < kHeadDim; ++c) run.q[layer][run.offset(h, t) + c] = centre[c] + 0.3f * g(rng);
      for (int h = 0; h < kKvHeads; ++h)
        for (int c = 0; c < kHeadDim; ++c)
          run.k[layer][run.offset(h, t) + c] = centre[kTokens * kHeadDim + c] + 0.3f * g(rng) + 2;
    }
  run.write(dir);
}

// A head of a stored layout file, nullopt when it is not there.
std::optional<std::vector<float>> stored(const Run& run, LayoutMethod method, int dim, int layer, int head) {
  const LayoutFile file = LayoutFile::read(run, layout_file_path(run.dir(), method, dim), dim);
  if (!file.has(layer, head)) return std::nullopt;
  return file.head(layer, head).points;
}

class LayoutJobTest : public ::testing::Test {
 protected:
  void SetUp() override { write_run(dir_); }

  LayoutJobOptions options() const {
    LayoutJobOptions o;
    o.run_dir = dir_;
    o.threads = 2;
    o.show_progress = false;
    return o;
  }
  fs::path layout_file(const std::string& name) const { return dir_ / "layouts" / (name + ".safetensors"); }

  test::TempDir temp_;
  fs::path dir_ = temp_ / "run";
};

TEST_F(LayoutJobTest, WritesEveryLayoutMetricsAndProgress) {
  const LayoutJobResult r = run_layout_job(options());
  EXPECT_EQ(r.heads_computed, kLayers * kHeads);
  EXPECT_EQ(r.written,
            (std::vector<std::string>{"pca-2d", "pca-3d", "tsne-2d", "umap-2d", "tsne-3d", "umap-3d"}));
  for (const std::string& name : r.written) {
    const auto file = SafetensorsFile::open(layout_file(name));
    // Per head: its points, the normalisation (scale, shift) and for PCA the mean and axes
    // (layout/place.hpp).
    const bool pca = name.rfind("pca", 0) == 0;
    ASSERT_EQ(file->tensors().size(), size_t(kLayers * kHeads * (pca ? 5 : 3))) << name;
    const int dim = name.back() == 'd' ? name[name.size() - 2] - '0' : 0;
    for (const TensorView& t : file->tensors()) {
      EXPECT_EQ(t.dtype, DType::F32);
      if (t.name.find('.', t.name.find(".h") + 1) == std::string::npos) {
        EXPECT_EQ(t.shape, (std::vector<int64_t>{2 * kSequences * kTokens, dim}));
      }
      for (float v : t.to_f32()) ASSERT_TRUE(std::isfinite(v)) << name << " " << t.name;
    }
  }
  const nlohmann::json metrics = read_json_file(dir_ / "layouts" / "metrics.json");
  ASSERT_EQ(metrics["heads"].size(), size_t(kLayers * kHeads));
  const nlohmann::json& head = metrics["heads"]["l1.h3"];
  for (const std::string& name : r.written) {
    const double t = head["trustworthiness"][name].get<double>();
    EXPECT_GT(t, 0.5) << name;
    EXPECT_LE(t, 1.0) << name;
    EXPECT_TRUE(head["distance_dot_correlation"].contains(name));
  }
  EXPECT_TRUE(head["distance_dot_correlation"].contains("raw"));
  EXPECT_TRUE(head["distance_dot_correlation"].contains("normalised"));
  EXPECT_EQ(head["tokens"].get<int>(), kSequences * kTokens);
  const double entropy = head["attention"]["entropy"].get<double>();
  EXPECT_GE(entropy, 0.0);
  EXPECT_LE(entropy, std::log(double(kTokens)));
  const nlohmann::json progress = read_json_file(dir_ / "layouts" / "progress.json");
  for (const std::string& name : r.written) {
    EXPECT_EQ(progress[name]["done"].get<int>(), kLayers * kHeads);
    EXPECT_EQ(progress[name]["total"].get<int>(), kLayers * kHeads);
  }
  for (const auto& entry : fs::directory_iterator(dir_ / "layouts"))
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST_F(LayoutJobTest, SkipsPresentHeadsMergesNewOnesAndForceRecomputes) {
  LayoutJobOptions o = options();
  o.methods = {LayoutMethod::UMAP};
  o.dims = {2};
  o.heads = {{0, 1}};
  run_layout_job(o);
  const std::string first = read_file(layout_file("umap-2d"));
  LayoutJobResult again = run_layout_job(o);
  EXPECT_EQ(again.heads_computed, 0);
  EXPECT_EQ(again.heads_skipped, 1);
  EXPECT_TRUE(again.written.empty());
  EXPECT_EQ(read_file(layout_file("umap-2d")), first);

  o.heads = {{1, 2}, {0, 1}};
  const LayoutJobResult merged = run_layout_job(o);
  EXPECT_EQ(merged.heads_computed, 1);
  const auto run = Run::open(dir_);
  EXPECT_TRUE(stored(*run, LayoutMethod::UMAP, 2, 0, 1).has_value());
  EXPECT_TRUE(stored(*run, LayoutMethod::UMAP, 2, 1, 2).has_value());
  EXPECT_FALSE(stored(*run, LayoutMethod::UMAP, 2, 1, 3).has_value());
  EXPECT_FALSE(stored(*run, LayoutMethod::TSNE, 2, 0, 1).has_value());
  EXPECT_THROW(stored(*run, LayoutMethod::UMAP, 2, 2, 0), Error);

  o.force = true;
  o.heads = {{0, 1}};
  EXPECT_EQ(run_layout_job(o).heads_computed, 1);  // same seed: the same layout again
  EXPECT_EQ(*stored(*Run::open(dir_), LayoutMethod::UMAP, 2, 0, 1),
            *stored(*run, LayoutMethod::UMAP, 2, 0, 1));
}

TEST_F(LayoutJobTest, ForceRedoesTheHeadsMapOnlyOverEveryHead) {
  LayoutJobOptions o = options();
  o.methods = {LayoutMethod::PCA};
  o.dims = {2};
  EXPECT_GT(run_layout_job(o).heads_map_seconds, 0);  // none yet: written
  EXPECT_EQ(run_layout_job(o).heads_map_seconds, 0);  // current: kept
  o.force = true;
  o.heads = {{0, 1}};
  EXPECT_EQ(run_layout_job(o).heads_map_seconds, 0);  // one head's layout again: the run's map stays
  o.heads.clear();
  EXPECT_GT(run_layout_job(o).heads_map_seconds, 0);  // every head again: the map too
}

TEST_F(LayoutJobTest, OnDemandLayoutEqualsTheStoredOne) {
  LayoutJobOptions o = options();
  o.methods = {LayoutMethod::TSNE, LayoutMethod::UMAP};
  o.dims = {2};
  o.heads = {{1, 3}, {0, 0}};
  run_layout_job(o);
  const auto run = Run::open(dir_);
  for (LayoutMethod m : {LayoutMethod::TSNE, LayoutMethod::UMAP}) {
    LayoutRequest request;
    request.method = m;
    request.layer = 1;
    request.head = 3;
    request.threads = 1;  // the job ran two heads on two threads; results do not depend on threads
    EXPECT_EQ(compute_head_layout(*run, request), *stored(*run, m, 2, 1, 3)) << layout_method_name(m);
  }
}

TEST_F(LayoutJobTest, QueryHeadPairsWithItsKeyHead) {
  const auto run = Run::open(dir_);
  const HeadInput in = load_head(*run, 1, 3, {false, false});
  const std::vector<float> keys = run->keys(1, 1);
  EXPECT_EQ(std::vector<float>(in.raw.begin() + keys.size(), in.raw.end()), keys);
  EXPECT_EQ(in.points, in.raw);
}

TEST_F(LayoutJobTest, AHeadGivenTwiceIsLaidOutOnce) {
  LayoutJobOptions o = options();
  o.methods = {LayoutMethod::PCA};
  o.dims = {2};
  o.heads = {{1, 2}, {0, 0}, {1, 2}};
  const LayoutJobResult r = run_layout_job(o);
  EXPECT_EQ(r.heads_computed, 2);
  EXPECT_EQ(read_json_file(dir_ / "layouts" / "progress.json")["pca-2d"]["total"], 2);
}

TEST_F(LayoutJobTest, BadRequestsWriteNothing) {
  LayoutJobOptions o = options();
  o.heads = {{0, 4}};
  EXPECT_THROW(run_layout_job(o), Error);
  o.heads = {{2, 0}};
  EXPECT_THROW(run_layout_job(o), Error);
  o.heads = {};
  o.dims = {4};
  EXPECT_THROW(run_layout_job(o), Error);
  EXPECT_FALSE(fs::exists(dir_ / "layouts"));
}

TEST_F(LayoutJobTest, OtherVersionWritesNothing) {
  nlohmann::json manifest = read_json_file(dir_ / "manifest.json");
  manifest["version"] = 2;
  write_file_atomic(dir_ / "manifest.json", manifest.dump());
  EXPECT_THROW(run_layout_job(options()), Error);
  EXPECT_FALSE(fs::exists(dir_ / "layouts"));
}

TEST_F(LayoutJobTest, TruncatedQkWritesNothing) {
  fs::resize_file(dir_ / "qk.safetensors", fs::file_size(dir_ / "qk.safetensors") - 100);
  EXPECT_THROW(run_layout_job(options()), Error);
  EXPECT_FALSE(fs::exists(dir_ / "layouts"));
}

// --- Shards (layout_shards.hpp) ---

TEST(LayoutShards, ShardsPartitionTheHeadsEvenly) {
  std::vector<HeadId> heads;
  for (int l = 2; l >= 0; --l)
    for (int h = 0; h < 5; ++h) heads.emplace_back(l, h);  // 15 heads, not sorted
  std::vector<HeadId> all;
  for (int i = 0; i < 4; ++i) {
    const std::vector<HeadId> mine = shard_heads(heads, {i, 4});
    EXPECT_EQ(mine.size(), i < 3 ? 4u : 3u) << i;
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  std::sort(heads.begin(), heads.end());
  EXPECT_EQ(all, heads);
  EXPECT_EQ(shard_heads(heads, {1, 4})[0], (HeadId{0, 1}));
  EXPECT_TRUE(shard_heads({{0, 0}}, {1, 2}).empty());  // more shards than heads: some have none
  for (const Shard bad : {Shard{2, 2}, Shard{-1, 2}, Shard{0, 0}, Shard{0, kMaxShards + 1}})
    EXPECT_THROW(shard_heads(heads, bad), Error) << bad.index << "/" << bad.count;
}

class LayoutShardsTest : public LayoutJobTest {
 protected:
  LayoutJobOptions sharded(int index, int count) const {
    LayoutJobOptions o = options();
    o.methods = {LayoutMethod::PCA, LayoutMethod::TSNE};
    o.dims = {2};
    o.shard = {index, count};
    o.threads = 1 + index % 2;  // results do not depend on threads
    return o;
  }
  std::string without_timings(nlohmann::json metrics) const {
    for (auto& [name, head] : metrics["heads"].items()) head.erase("seconds");
    return metrics.dump();
  }
  fs::path shards() const { return dir_ / "layouts" / "shards"; }
};

TEST_F(LayoutShardsTest, TheLastShardMergesWhatOneMachineWouldWrite) {
  const fs::path single = temp_ / "single";
  write_run(single);
  LayoutJobOptions whole = sharded(0, 1);
  whole.run_dir = single;
  run_layout_job(whole);

  EXPECT_FALSE(run_layout_job(sharded(2, 3)).merge.merged);
  const LayoutJobResult second = run_layout_job(sharded(0, 3));
  EXPECT_EQ(second.merge.missing, std::vector<int>{1});
  EXPECT_FALSE(fs::exists(layout_file("pca-2d")));  // nothing merged before every shard finished
  EXPECT_TRUE(fs::exists(shards() / "tsne-2d.0-of-3.safetensors"));
  EXPECT_TRUE(fs::exists(shards() / "metrics.2-of-3.json"));
  const LayoutJobResult last = run_layout_job(sharded(1, 3));
  EXPECT_EQ(last.heads_computed, 3);  // heads 1, 4, 7 of 8
  ASSERT_TRUE(last.merge.merged);
  EXPECT_EQ(last.merge.written, (std::vector<std::string>{"pca-2d", "tsne-2d"}));

  for (const std::string name : {"pca-2d", "tsne-2d"})
    EXPECT_EQ(read_file(layout_file(name)), read_file(single / "layouts" / (name + ".safetensors"))) << name;
  EXPECT_EQ(without_timings(read_json_file(dir_ / "layouts" / "metrics.json")),
            without_timings(read_json_file(single / "layouts" / "metrics.json")));
  EXPECT_FALSE(fs::exists(shards()));  // merged shards are removed
}

TEST_F(LayoutShardsTest, MergeNamesTheShardsThatHaveNotFinished) {
  LayoutJobOptions o = sharded(1, 4);
  o.merge_shards = false;
  run_layout_job(o);
  o.shard = {3, 4};
  run_layout_job(o);
  const auto run = Run::open(dir_);
  const ShardMerge partial = merge_layout_shards(*run, 0, false);
  EXPECT_EQ(partial.shards, 4);
  EXPECT_EQ(partial.missing, (std::vector<int>{0, 2}));
  EXPECT_FALSE(partial.merged);
  try {
    merge_layout_shards(*run, 0, true);
    FAIL() << "merged with shards missing";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shard(s) 0, 2 of 4 have not finished"), std::string::npos)
        << e.what();
  }
  o.shard = {0, 2};
  run_layout_job(o);  // a record of another count
  EXPECT_THROW(merge_layout_shards(*run, 0, true), Error);
  EXPECT_TRUE(fs::exists(shards() / "metrics.1-of-4.json"));  // nothing removed
}

TEST_F(LayoutShardsTest, AForgedRecordIsAnErrorNotAMerge) {
  LayoutJobOptions o = sharded(0, 2);
  o.methods = {LayoutMethod::PCA};
  run_layout_job(o);
  fs::create_directories(shards());
  const auto run = Run::open(dir_);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"shard\": 0, \"shards\": 2, \"heads\": {}, \"files\": []}", "do not match the file name"},
      {"{\"shard\": 1, \"shards\": 2, \"heads\": {}, \"files\": [\"mds-2d\"]}", "unknown layout file"},
      {"{\"shard\": 1, \"shards\": 2, \"heads\": [], \"files\": []}", "no \"heads\" object"},
      {"{\"shard\": 1, \"shards\": 2, \"heads\": {}, \"files\": [\"pca-3d\"]}", "missing, though its shard"},
      {"[1, 2", "metrics.1-of-2.json"},
  };
  for (const auto& [record, needle] : cases) {
    write_file_atomic(shards() / "metrics.1-of-2.json", record);
    try {
      merge_layout_shards(*run, 0, true);
      ADD_FAILURE() << "merged " << record;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(layout_file("pca-2d"))) << record;
  }
}

}  // namespace
}  // namespace attnviz
