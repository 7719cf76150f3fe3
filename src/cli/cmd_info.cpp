// attnviz info: loads and validates a whole checkpoint and prints what attnviz knows about it, as JSON.
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "image/image.hpp"
#include "model/checkpoint.hpp"
#include "model/hub.hpp"
#include "model/model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnviz::cli {
namespace {

// Parameters are what the checkpoint stores, less the buffers transformers keeps beside them.
bool is_buffer(const std::string& name) {
  const auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".attn.bias") || ends_with(".attn.masked_bias") || ends_with("position_ids");
}

bool has_tokenizer(const std::filesystem::path& dir) {
  return std::filesystem::exists(dir / "tokenizer.json") || std::filesystem::exists(dir / "vocab.txt") ||
         (std::filesystem::exists(dir / "vocab.json") && std::filesystem::exists(dir / "merges.txt"));
}

nlohmann::ordered_json describe(const std::filesystem::path& dir) {
  const std::unique_ptr<Model> model = load_model(dir);  // reads and shape-checks every tensor it uses
  const Checkpoint checkpoint = Checkpoint::open(dir);
  const ModelConfig& c = model->config();
  size_t stored = 0;
  std::set<std::string> dtypes;
  for (const std::string& name : checkpoint.names()) {
    const TensorView& t = checkpoint.at(name);
    dtypes.insert(dtype_name(t.dtype));
    if (!is_buffer(name)) stored += size_t(t.numel());
  }
  nlohmann::ordered_json out;
  out["model"] = dir.string();
  out["model_type"] = c.model_type;
  out["architecture"] = c.architecture.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.architecture);
  out["modality"] = c.modality == Modality::Image ? "image" : "text";
  out["layers"] = c.num_layers;
  out["heads"] = c.num_heads;
  out["kv_heads"] = c.num_kv_heads;
  out["head_dim"] = c.head_dim;
  out["hidden_size"] = c.hidden_size;
  out["intermediate_size"] = c.intermediate_size;
  out["causal"] = c.causal;
  out["attention_scale"] = c.attention_scale;
  out["max_positions"] = c.max_positions - c.position_offset;
  out["parameters"] = model->parameter_count();  // those the forward pass uses
  out["checkpoint_parameters"] = stored;         // also task heads (lm_head, classifier, pooler...)
  out["dtypes"] = dtypes;
  out["files"] = checkpoint.files().size();
  if (c.modality == Modality::Image) {
    const PreprocessConfig p = load_preprocess_config(dir);
    out["image_size"] = c.image_size;
    out["patch_size"] = c.patch_size;
    out["num_channels"] = c.num_channels;
    out["preprocess"] = {{"height", p.height}, {"width", p.width}, {"resample", p.resample}};
    out["tokenizer"] = nullptr;
  } else {
    out["vocab_size"] = c.vocab_size;
    out["tokenizer"] =
        has_tokenizer(dir) ? nlohmann::json(Tokenizer::load(dir).kind()) : nlohmann::json(nullptr);
  }
  return out;
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Load and validate a checkpoint and print its facts as JSON");
  auto model = std::make_shared<std::string>();
  cmd->add_option("--model,-m", *model, "Model folder (config.json + safetensors) or Hugging Face hub id")
      ->required();
  cmd->callback([model] { std::cout << describe(resolve_model(*model)).dump(2) << '\n'; });
}

}  // namespace attnviz::cli
