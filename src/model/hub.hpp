#pragma once
// Hugging Face hub ids: "gpt2", "org/name" or either with "@revision" name a model that is found in the local
// Hugging Face cache or downloaded into it (docs/format.md, "Model cache").
#include <filesystem>
#include <optional>
#include <string>

namespace attnviz {

struct HubId {
  std::string repo;               // "gpt2" or "org/name"
  std::string revision = "main";  // a branch, tag or commit hash
};

// Parses a hub id; nullopt when the text cannot be one (a path such as "./x" or "/x", spaces, "..").
std::optional<HubId> parse_hub_id(const std::string& text);

// The cache folder: $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
// else ~/.cache/huggingface/hub.
std::filesystem::path hf_hub_cache();

// The local folder of a model named by a path or a hub id: an existing path is returned as it is; otherwise
// the hub id is looked up in the cache (models--org--name/refs/<revision> -> snapshots/<commit>/) and, when
// absent or incomplete, its config, tokenizer, preprocessor and safetensors files are downloaded from
// $HF_ENDPOINT (default https://huggingface.co, over net/http) with $HF_TOKEN as bearer token when set,
// unless $HF_HUB_OFFLINE=1.
std::filesystem::path resolve_model(const std::string& id_or_path);

// What a run records as its model's source (manifest model.source), which resolve_model turns back into the
// folder: the absolute path of a local folder, or "org/name@revision" for a hub id.
std::string model_source(const std::string& id_or_path);

}  // namespace attnviz
