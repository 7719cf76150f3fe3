#pragma once
// The built web UI (web/dist): files under one folder, nothing outside it.
#include <filesystem>
#include <optional>
#include <string>

#include <httplib.h>

namespace attnviz::server {

// Whether `path` is `root` or lies under it, comparing the paths' components as written (both should be
// absolute and lexically normal).
bool is_inside(const std::filesystem::path& root, const std::filesystem::path& path);

// The file a decoded URL path names inside root ("/" and folders mean their index.html), or nullopt when it
// names nothing there: a missing file, a ".." segment, or a symbolic link leading outside root.
std::optional<std::filesystem::path> resolve_static(const std::filesystem::path& root,
                                                    const std::string& url_path);

// The Content-Type for a file, from its extension.
std::string content_type_for(const std::filesystem::path& file);

// Answers a GET for req.path from root: the file (or the byte range asked for), 404, or 503 when root holds
// no built UI.
void serve_static(const std::filesystem::path& root, const httplib::Request& req, httplib::Response& res);

}  // namespace attnviz::server
