#include "tokenizer/model.hpp"

namespace attnviz {

void Vocab::add(const std::string& token, int32_t id) {
  ids[token] = id;
  if (tokens.size() <= static_cast<size_t>(id)) tokens.resize(static_cast<size_t>(id) + 1);
  tokens[static_cast<size_t>(id)] = token;
}

std::optional<int32_t> Vocab::find(std::string_view token) const {
  const auto it = ids.find(std::string(token));
  if (it == ids.end()) return std::nullopt;
  return it->second;
}

const std::string* Vocab::token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens.size() || !tokens[static_cast<size_t>(id)]) return nullptr;
  return &*tokens[static_cast<size_t>(id)];
}

}  // namespace attnviz
