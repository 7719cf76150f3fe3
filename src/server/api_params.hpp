#pragma once
// Request parameters the API handlers share that name layouts: a method, a dimension, a layout file's name,
// and a query parameter given at most once. Each answers a bad value with an HttpError (400 or 404).
#include <string>
#include <utility>

#include <httplib.h>

#include "layout/layout.hpp"

namespace attnviz::server {

// A method's name ("tsne"): 404 for one that does not exist.
LayoutMethod parse_method(const std::string& text);
// "2" or "3": 400 when not a number, 404 for another dimension.
int parse_dim(const std::string& text);
// A query parameter given at most once: `fallback` when absent, 400 when repeated.
std::string single_param(const httplib::Request& req, const char* name, const char* fallback);
// ?layout=: a layout file's name (layout_file_name: "tsne-2d"); 400 when not of that form, 404 for a method
// or dimension that does not exist.
std::pair<LayoutMethod, int> parse_layout_name(const std::string& text);

}  // namespace attnviz::server
