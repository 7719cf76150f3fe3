#pragma once
// A model's fingerprint: a short text that changes when its weights do, cheap enough to compute on every
// `attnviz extract` and on the first probe of `attnviz serve` (docs/format.md, manifest "model.fingerprint").
// It hashes every tensor's name, dtype and shape and a few samples of its bytes (first, middle and last 64),
// never the whole checkpoint: a different architecture, size or fine-tune changes it; it is not a
// cryptographic digest.
#include <filesystem>
#include <string>

namespace attnviz {

// "fnv1a64:<16 hex digits>" over the checkpoint of a local model folder (Checkpoint::open). Error when the
// folder holds no readable checkpoint.
std::string model_fingerprint(const std::filesystem::path& model_dir);

}  // namespace attnviz
