#pragma once
// What kind of head a head is: scores in [0, 1] for the patterns interpretability papers name
// (previous-token, next-token, duplicate-token, first-token sink, special-token sink, positional, broad,
// induction), each measured on attention rows, and the head's type when one clears its threshold.
// Definitions: docs/guide.md ("Head types"). The heads map (heads_map.hpp) computes them per head.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace attnviz {

enum class HeadType {
  PreviousToken,
  NextToken,
  SameToken,
  FirstToken,
  SpecialTokens,
  Positional,
  Broad,
  Induction
};

constexpr int kHeadTypes = 8;

// The names of heads.json and /api/heads, in the order of HeadType.
constexpr std::array<std::string_view, kHeadTypes> kHeadTypeNames = {
    "previous_token", "next_token", "same_token", "first_token",
    "special_tokens", "positional", "broad",      "induction"};

// A score at or above its threshold makes the head of that type (docs/guide.md says why each).
constexpr std::array<double, kHeadTypes> kHeadTypeThresholds = {0.5, 0.5, 0.3, 0.5, 0.5, 0.5, 0.85, 0.3};

// One score per HeadType; nullopt where it does not apply (next-token in a causal model, duplicate tokens
// in a run without any, induction where the run did not measure it).
using HeadScores = std::array<std::optional<double>, kHeadTypes>;

// The relative offsets whose attention mass a head's statistics keep: -kMaxOffset..+kMaxOffset.
constexpr int kMaxOffset = 8;

// The behaviour fingerprint (docs/format.md, "heads.json"): a fixed-length vector per head of figures that do
// not depend on the tokenizer, so heads of different models can be compared (GET /api/heads/map). Entries:
// attention mass at relative offset -8..+8 (17; 0 where never visible), the mass beyond -8 and beyond +8
// (2), then the type scores in kHeadTypeNames' order (8: first-token and special-token sink masses and the
// normalised entropy among them), a score that does not apply counted 0 (there is no such mass to take).
constexpr int kFingerprintSize = 2 * kMaxOffset + 1 + 2 + kHeadTypes;
using Fingerprint = std::array<double, kFingerprintSize>;

// Sums over attention rows from which every score but induction follows.
class HeadTypeStats {
 public:
  // attention: [T, T] rows of one input, each a softmax over the keys the row may attend to (zeros where
  // masked); special: [T] flags; ids: [T] token ids; causal: a row sees only keys at or before it.
  void add_sequence(const float* attention, int64_t tokens, const uint8_t* special, const int32_t* ids,
                    bool causal);
  // The scores so far (induction left empty).
  HeadScores scores() const;
  // Mean attention at relative offset d (key position - query position), over rows where it is visible.
  double offset_mass(int d) const;
  // The fingerprint from these statistics and the scores (with induction, when measured).
  Fingerprint fingerprint(const HeadScores& scores) const;

 private:
  struct Mean {
    double sum = 0;
    int64_t rows = 0;
    void add(double value) { sum += value, ++rows; }
    std::optional<double> value() const {
      return rows > 0 ? std::optional(sum / double(rows)) : std::nullopt;
    }
  };
  Mean same_token_, first_token_, special_tokens_, broad_;
  std::array<Mean, 2 * kMaxOffset + 1> offset_;
  Mean before_, after_;  // mass on keys further than kMaxOffset before / after the query, every row
  bool causal_ = false;
};

// The type whose score is furthest past its threshold (score / threshold largest); nullopt when none
// clears its threshold.
std::optional<HeadType> head_type(const HeadScores& scores);

}  // namespace attnviz
