#include "tokenizer/subword_model.hpp"

namespace attnviz {

void Vocab::add(const std::string& token, int32_t id) {
  ids[token] = id;
  tokens[id] = token;
}

std::optional<int32_t> Vocab::find(std::string_view token) const {
  const auto it = ids.find(token);
  if (it == ids.end()) return std::nullopt;
  return it->second;
}

const std::string* Vocab::token(int32_t id) const {
  const auto it = tokens.find(id);
  return it == tokens.end() ? nullptr : &it->second;
}

}  // namespace attnviz
