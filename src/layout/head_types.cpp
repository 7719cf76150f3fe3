#include "layout/head_types.hpp"

#include <algorithm>
#include <cmath>

namespace attnviz {

void HeadTypeStats::add_sequence(const float* attention, int64_t tokens, const uint8_t* special,
                                 const int32_t* ids, bool causal) {
  causal_ = causal;
  for (int64_t i = 0; i < tokens; ++i) {
    const float* row = attention + i * tokens;
    const int64_t end = causal ? i + 1 : tokens;  // keys [0, end) are visible
    // Relative offsets: mass on the key at i + d, for every visible one.
    for (int d = -kMaxOffset; d <= kMaxOffset; ++d)
      if (i + d >= 0 && i + d < end) offset_[d + kMaxOffset].add(row[i + d]);
    // First token: rows after it (row 0 attending to itself is not a sink).
    if (i > 0) first_token_.add(row[0]);
    // Duplicate tokens and special tokens after the first position, excluding the row's own token.
    double duplicate = 0, on_special = 0, entropy = 0, before = 0, after = 0;
    bool has_duplicate = false, has_special = false;
    for (int64_t j = 0; j < end; ++j) {
      const double a = row[j];
      if (a > 0) entropy -= a * std::log(a);
      if (j < i - kMaxOffset) before += a;
      if (j > i + kMaxOffset) after += a;
      if (j == i) continue;
      if (ids[j] == ids[i]) has_duplicate = true, duplicate += a;
      if (j > 0 && special[j]) has_special = true, on_special += a;
    }
    before_.add(before);
    after_.add(after);
    if (has_duplicate) same_token_.add(duplicate);
    if (has_special) special_tokens_.add(on_special);
    if (end > 1) broad_.add(entropy / std::log(double(end)));
  }
}

double HeadTypeStats::offset_mass(int d) const { return offset_[d + kMaxOffset].value().value_or(0.0); }

Fingerprint HeadTypeStats::fingerprint(const HeadScores& scores) const {
  Fingerprint f{};
  for (int d = -kMaxOffset; d <= kMaxOffset; ++d) f[d + kMaxOffset] = offset_mass(d);
  f[2 * kMaxOffset + 1] = before_.value().value_or(0.0);
  f[2 * kMaxOffset + 2] = after_.value().value_or(0.0);
  for (int t = 0; t < kHeadTypes; ++t) f[2 * kMaxOffset + 3 + t] = scores[t].value_or(0.0);
  for (double& v : f) v = std::clamp(v, 0.0, 1.0);  // sums of probabilities: rounding must not leave [0, 1]
  return f;
}

HeadScores HeadTypeStats::scores() const {
  HeadScores s;
  const auto score = [&](HeadType t) -> std::optional<double>& { return s[static_cast<int>(t)]; };
  score(HeadType::PreviousToken) = offset_[kMaxOffset - 1].value();
  if (!causal_) score(HeadType::NextToken) = offset_[kMaxOffset + 1].value();
  score(HeadType::SameToken) = same_token_.value();
  score(HeadType::FirstToken) = first_token_.value();
  score(HeadType::SpecialTokens) = special_tokens_.value();
  // Positional: the one fixed offset other than -1 and +1 (their own types) that holds the most mass.
  std::optional<double> positional;
  for (int d = -kMaxOffset; d <= kMaxOffset; ++d)
    if (d != -1 && d != 1 && offset_[d + kMaxOffset].value())
      positional = std::max(positional.value_or(0.0), *offset_[d + kMaxOffset].value());
  score(HeadType::Positional) = positional;
  score(HeadType::Broad) = broad_.value();
  for (auto& v : s)
    if (v) v = std::clamp(*v, 0.0, 1.0);  // means of probabilities; rounding must not leave [0, 1]
  return s;
}

std::optional<HeadType> head_type(const HeadScores& scores) {
  std::optional<HeadType> best;
  double best_ratio = 1.0;
  for (int t = 0; t < kHeadTypes; ++t) {
    if (!scores[t]) continue;
    const double ratio = *scores[t] / kHeadTypeThresholds[t];
    if (ratio >= best_ratio) best = static_cast<HeadType>(t), best_ratio = ratio;
  }
  return best;
}

}  // namespace attnviz
