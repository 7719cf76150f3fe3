#pragma once
// Induction heads, measured the standard way (Olsson et al. 2022): the model reads random token sequences
// repeated twice, and a head's score is its mean attention from each token of the second copy to the token
// after that token's first occurrence. `attnviz extract` measures it for text models and stores it in the
// manifest (RunInduction, docs/format.md), since it needs the model and not the dataset.
#include <cstdint>
#include <optional>

#include "model/model.hpp"
#include "run/run.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnviz {

struct InductionOptions {
  unsigned seed = 1234;  // fixed, so every run of a model gets the same sequences
  int sequences = 8;     // enough that one random repeat within a copy does not matter
  int length = 50;       // tokens per copy (fewer when the model's positions do not hold two copies)
};

// attention: [T, T] of one head on one sequence whose copies are [start, start + length) and
// [start + length, start + 2 length). The mean over the second copy of attention to the token after the
// first occurrence.
double induction_score(const float* attention, int64_t tokens, int64_t start, int64_t length);

// The scores of every head, or nullopt for image models. The tokenizer (when the model has one) says which
// ids are special (never drawn) and which special tokens frame an input ([CLS] ... [SEP]).
std::optional<RunInduction> measure_induction(const Model& model, const Tokenizer* tokenizer,
                                              const InductionOptions& options = {});

}  // namespace attnviz
