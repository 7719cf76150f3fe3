#include "server/api_params.hpp"

#include <climits>

#include "core/error.hpp"
#include "server/http_util.hpp"

namespace attnviz::server {

LayoutMethod parse_method(const std::string& text) {
  try {
    return parse_layout_method(text);
  } catch (const Error& e) {
    throw HttpError(404, e.what());
  }
}

int parse_dim(const std::string& text) {
  int dim = parse_index(text, INT_MAX, "dimension");
  if (dim != 2 && dim != 3) throw HttpError(404, "no dimension " + text + " (valid: 2, 3)");
  return dim;
}

std::string single_param(const httplib::Request& req, const char* name, const char* fallback) {
  const size_t count = req.get_param_value_count(name);
  if (count > 1)
    throw HttpError(400, std::string("?") + name + "= given " + std::to_string(count) + " times");
  return count == 0 ? fallback : req.get_param_value(name);
}

std::pair<LayoutMethod, int> parse_layout_name(const std::string& text) {
  const size_t dash = text.rfind('-');
  if (dash == std::string::npos || text.size() < dash + 2 || text.back() != 'd')
    throw HttpError(400, "malformed layout " + printable(text) + ": expected {method}-{dim}d, e.g. tsne-2d");
  return {parse_method(text.substr(0, dash)), parse_dim(text.substr(dash + 1, text.size() - dash - 2))};
}

}  // namespace attnviz::server
