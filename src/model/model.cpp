// load_model: config.json names the architecture; each has its own loader.
#include "core/error.hpp"
#include "model/transformer.hpp"

namespace attnviz {

std::unique_ptr<Model> load_model(const std::filesystem::path& model_dir, WeightStorage storage) {
  const ModelConfig config = load_config(model_dir);
  if (config.model_type == "gpt2") return load_gpt2(config, model_dir, storage);
  if (config.model_type == "bert" || config.model_type == "roberta")
    return load_bert(config, model_dir, storage);
  if (config.model_type == "vit") return load_vit(config, model_dir, storage);
  if (config.model_type == "llama" || config.model_type == "mistral" || config.model_type == "qwen2")
    return load_llama(config, model_dir, storage);
  throw Error("model_type '" + config.model_type + "' has no forward pass");
}

}  // namespace attnviz
