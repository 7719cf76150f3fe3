// attnviz info, run as the real binary on every bundled checkpoint (single file, sharded, F16, BF16).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace {

const std::filesystem::path kSource = ATTNVIZ_SOURCE_DIR;

using InfoResult = attnviz::test::ProcessOutput;

InfoResult run_info(const std::filesystem::path& model) {
  return attnviz::test::run_attnviz("info --model '" + model.string() + "'");
}

nlohmann::json info_of(const std::filesystem::path& model) {
  const InfoResult r = run_info(model);
  EXPECT_EQ(r.status, 0) << model << ": " << r.err;
  return nlohmann::json::parse(r.out);
}

std::vector<std::filesystem::path> all_checkpoints() {
  std::vector<std::filesystem::path> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(kSource / "tests/fixtures/hf"))
    dirs.push_back(entry.path() / "model");
  for (const auto& entry : std::filesystem::directory_iterator(kSource / "models"))
    if (entry.is_directory()) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

TEST(InfoCli, DescribesEveryBundledCheckpoint) {
  const auto checkpoints = all_checkpoints();
  ASSERT_EQ(checkpoints.size(), 7u);
  for (const auto& dir : checkpoints) {
    const nlohmann::json info = info_of(dir);
    std::ifstream config_file(dir / "config.json");
    const nlohmann::json config = nlohmann::json::parse(config_file);
    EXPECT_EQ(info["model_type"], config["model_type"]) << dir;
    EXPECT_EQ(info["architecture"], config["architectures"][0]) << dir;
    const int layers = config.value("num_hidden_layers", config.value("n_layer", 0));
    const int heads = config.value("num_attention_heads", config.value("n_head", 0));
    EXPECT_EQ(info["layers"], layers) << dir;
    EXPECT_EQ(info["heads"], heads) << dir;
    EXPECT_EQ(info["kv_heads"], config.value("num_key_value_heads", heads)) << dir;
    EXPECT_EQ(info["head_dim"].get<int>() * heads, info["hidden_size"].get<int>()) << dir;
    EXPECT_GT(info["parameters"].get<int64_t>(), 0) << dir;
    EXPECT_LE(info["parameters"].get<int64_t>(), info["checkpoint_parameters"].get<int64_t>()) << dir;
    EXPECT_EQ(info["causal"], config["model_type"] == "gpt2" || config["model_type"] == "llama") << dir;
  }
}

TEST(InfoCli, ReportsDtypesShardsAndTokenizers) {
  const nlohmann::json gpt = info_of(kSource / "models/brown-gpt");
  EXPECT_EQ(gpt["dtypes"], nlohmann::json({"F16"}));
  EXPECT_EQ(gpt["tokenizer"], "bpe");
  EXPECT_EQ(gpt["modality"], "text");
  const nlohmann::json bert = info_of(kSource / "models/brown-bert");
  EXPECT_EQ(bert["dtypes"], nlohmann::json({"BF16"}));
  EXPECT_EQ(bert["tokenizer"], "wordpiece");
  const nlohmann::json llama = info_of(kSource / "tests/fixtures/hf/llama/model");
  EXPECT_EQ(llama["files"], 6);  // sharded
  EXPECT_EQ(llama["dtypes"], nlohmann::json({"F32"}));
  EXPECT_EQ(llama["tokenizer"], nullptr);
  EXPECT_EQ(llama["kv_heads"], 2);
  // The untied lm_head [1000, 64] is stored but not needed for queries and keys; the index file's total
  // agrees.
  EXPECT_EQ(llama["checkpoint_parameters"], 202048);
  EXPECT_EQ(llama["parameters"], 202048 - 1000 * 64);
  const nlohmann::json vit = info_of(kSource / "models/mnist-vit");
  EXPECT_EQ(vit["modality"], "image");
  EXPECT_EQ(vit["image_size"], 28);
  EXPECT_EQ(vit["num_channels"], 1);
  EXPECT_EQ(vit["tokenizer"], nullptr);
}

TEST(InfoCli, CountsGpt2ParametersFromItsShape) {
  // wte + wpe + per layer (2 LayerNorms, c_attn, c_proj, c_fc, mlp c_proj) + ln_f, for n_embd 64, vocab 1000,
  // 64 positions, 2 layers; GPT-2 ties its LM head to wte.
  const int64_t d = 64,
                per_layer = 4 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
  const nlohmann::json info = info_of(kSource / "tests/fixtures/hf/gpt2/model");
  EXPECT_EQ(info["parameters"], 1000 * d + 64 * d + 2 * per_layer + 2 * d);
  EXPECT_EQ(info["checkpoint_parameters"], info["parameters"]);
}

TEST(InfoCli, BadModelFailsWithOneLine) {
  for (const std::filesystem::path& bad : {kSource / "no-such-folder/x", kSource / "tests/fixtures/hf"}) {
    const InfoResult r = run_info(bad);
    EXPECT_NE(r.status, 0) << bad;
    EXPECT_TRUE(r.out.empty()) << bad;
    EXPECT_EQ(r.err.rfind("attnviz: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
