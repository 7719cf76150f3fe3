#pragma once
// The facts about a checkpoint that attnviz needs, read from config.json.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "model/ops.hpp"

namespace attnviz {

enum class Modality { Text, Image };

// The most positions a rotary model runs (its max_positions is capped here): 32,768 tokens is far beyond
// what one input's T×T attention per head allows on a workstation, and keeps the cos/sin table ≤ 16 MB.
inline constexpr int kMaxRotaryPositions = 32768;

struct ModelConfig {
  std::string model_type;    // gpt2, bert, roberta, distilbert, vit, llama, mistral, qwen2
  std::string architecture;  // the task class named in config.json ("GPT2LMHeadModel"); may be empty
  Modality modality = Modality::Text;
  int num_layers = 0, num_heads = 0, num_kv_heads = 0, head_dim = 0;
  int hidden_size = 0, intermediate_size = 0, vocab_size = 0, max_positions = 0;
  bool causal = false;
  float attention_scale = 0.0f;  // 1/sqrt(head_dim) unless the config says otherwise
  float norm_eps = 1e-5f;
  std::string activation;  // gelu, gelu_new, silu, ...
  // text models
  int type_vocab_size = 0;
  int position_offset = 0;  // RoBERTa: padding_idx + 1
  // llama family
  float rope_theta = 10000.0f;
  ops::RopeScaling rope_scaling;                             // rope_type linear or llama3; none by default
  bool attention_bias = false, tie_word_embeddings = false;  // attention_bias: q/k/v projections have biases
  bool output_bias = false, mlp_bias = false;                // o_proj and MLP biases (llama attention_bias)
  // vision models
  int image_size = 0, patch_size = 0, num_channels = 0;
  bool qkv_bias = true;

  nlohmann::json raw;  // config.json as read
};

// Reads <model_dir>/config.json; unknown model_type is an Error listing the supported ones.
ModelConfig load_config(const std::filesystem::path& model_dir);
// The same from config.json's parsed document (`path` names it in errors).
ModelConfig parse_config(nlohmann::json raw, const std::filesystem::path& path);

}  // namespace attnviz
