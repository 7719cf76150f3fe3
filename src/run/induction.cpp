#include "run/induction.hpp"

#include <algorithm>
#include <random>

#include "core/error.hpp"

namespace attnviz {

namespace {

// The special tokens the tokenizer puts before and after an input's own tokens (e.g. [CLS] and [SEP]).
struct Frame {
  std::vector<int32_t> before, after;
};

Frame input_frame(const Tokenizer* tokenizer) {
  if (!tokenizer) return {};
  const Encoding plain = tokenizer->encode("x", false), framed = tokenizer->encode("x", true);
  const auto at = std::search(framed.ids.begin(), framed.ids.end(), plain.ids.begin(), plain.ids.end());
  if (plain.ids.empty() || at == framed.ids.end()) return {};
  return {{framed.ids.begin(), at}, {at + static_cast<int64_t>(plain.ids.size()), framed.ids.end()}};
}

// A token id that is not special: drawn uniformly, redrawn while the tokenizer calls its text special.
int32_t random_ordinary_token(std::mt19937_64& rng, int vocab, const Tokenizer* tokenizer) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int32_t id = static_cast<int32_t>(rng() % static_cast<uint64_t>(vocab));
    if (!tokenizer) return id;
    const std::optional<std::string> text = tokenizer->id_to_token(id);
    if (!text) continue;
    const Encoding e = tokenizer->encode(*text, false);
    if (std::none_of(e.special.begin(), e.special.end(), [](uint8_t s) { return s != 0; })) return id;
  }
  throw Error("induction: no ordinary token found in the vocabulary");
}

}  // namespace

double induction_score(const float* attention, int64_t tokens, int64_t start, int64_t length) {
  if (start < 0 || length < 1 || start + 2 * length > tokens)
    throw Error("induction_score: copies out of range");
  double sum = 0;
  for (int64_t j = 0; j < length; ++j) sum += attention[(start + length + j) * tokens + start + j + 1];
  return sum / double(length);
}

std::optional<RunInduction> measure_induction(const Model& model, const Tokenizer* tokenizer,
                                              const InductionOptions& options) {
  const ModelConfig& config = model.config();
  if (config.modality != Modality::Text || config.vocab_size < 2) return std::nullopt;
  // Step 1: the sequences, framed as the tokenizer frames an input: [before] copy copy [after].
  const Frame frame = input_frame(tokenizer);
  const int64_t framing = static_cast<int64_t>(frame.before.size() + frame.after.size());
  const int length =
      static_cast<int>(std::min<int64_t>(options.length, (config.max_positions - framing) / 2));
  if (length < 2) return std::nullopt;
  std::mt19937_64 rng(options.seed);
  std::vector<ModelInput> inputs(static_cast<size_t>(options.sequences));
  for (ModelInput& input : inputs) {
    std::vector<int32_t> copy(static_cast<size_t>(length));
    for (int32_t& id : copy) id = random_ordinary_token(rng, config.vocab_size, tokenizer);
    input.input_ids = frame.before;
    input.input_ids.insert(input.input_ids.end(), copy.begin(), copy.end());
    input.input_ids.insert(input.input_ids.end(), copy.begin(), copy.end());
    input.input_ids.insert(input.input_ids.end(), frame.after.begin(), frame.after.end());
  }
  // Step 2: the model's attention on them; each head's score averaged over the sequences.
  const std::vector<Capture> captures = model.forward_batch(inputs, {.attention = true});
  RunInduction result{options.seed, options.sequences, length, {}};
  result.scores.assign(static_cast<size_t>(config.num_layers) * config.num_heads, 0.0);
  const int64_t start = static_cast<int64_t>(frame.before.size());
  for (const Capture& c : captures)
    for (int layer = 0; layer < config.num_layers; ++layer)
      for (int head = 0; head < config.num_heads; ++head) {
        const float* a = &c.layers[layer].attn[static_cast<size_t>(head) * c.tokens * c.tokens];
        result.scores[layer * config.num_heads + head] +=
            std::clamp(induction_score(a, c.tokens, start, length), 0.0, 1.0) / options.sequences;
      }
  return result;
}

}  // namespace attnviz
