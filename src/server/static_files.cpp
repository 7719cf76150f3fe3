#include "server/static_files.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "core/fs.hpp"
#include "server/byte_range.hpp"
#include "server/http_util.hpp"

namespace attnviz::server {

namespace fs = std::filesystem;

namespace {

void reply_text(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_header("Cache-Control", "no-cache");
  res.set_content(text + "\n", "text/plain; charset=utf-8");
}

}  // namespace

bool is_inside(const fs::path& root, const fs::path& path) {
  auto [root_end, unused] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

std::optional<fs::path> resolve_static(const fs::path& root, const std::string& url_path) {
  if (url_path.empty() || url_path.front() != '/') return std::nullopt;
  if (url_path.find('\0') != std::string::npos || url_path.find('\\') != std::string::npos)
    return std::nullopt;
  fs::path relative;
  size_t start = 1;
  while (start <= url_path.size()) {
    size_t slash = std::min(url_path.find('/', start), url_path.size());
    std::string segment = url_path.substr(start, slash - start);
    if (segment == "." || segment == "..") return std::nullopt;
    if (!segment.empty()) relative /= segment;
    start = slash + 1;
  }
  std::error_code error;
  const fs::path real_root = fs::canonical(root, error);
  if (error) return std::nullopt;
  fs::path file = fs::canonical(real_root / relative, error);  // resolves symbolic links
  if (error || !is_inside(real_root, file)) return std::nullopt;
  if (fs::is_directory(file, error)) file = fs::canonical(file / "index.html", error);
  if (error || !is_inside(real_root, file) || !fs::is_regular_file(file, error)) return std::nullopt;
  return file;
}

std::string content_type_for(const fs::path& file) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
  };
  auto found = types.find(file.extension().string());
  return found == types.end() ? "application/octet-stream" : found->second;
}

void serve_static(const fs::path& root, const httplib::Request& req, httplib::Response& res) {
  const std::string& url_path = req.path;
  std::error_code error;
  if (!fs::is_regular_file(root / "index.html", error)) {
    reply_text(res, 503,
               "attnviz: the web UI is not built (no " + (root / "index.html").string() +
                   "); run `make web` in the source tree, or pass --web DIR. The API under /api/ works.");
    return;
  }
  auto file = resolve_static(root, url_path);
  if (!file) {
    reply_text(res, 404, "not found: " + printable(url_path));
    return;
  }
  // Vite names everything under assets/ by content hash, so those never change; the rest may.
  const bool hashed = url_path.rfind("/assets/", 0) == 0;
  res.set_header("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
  // Through a content provider, which cpp-httplib sends as is: it would otherwise Brotli-compress the script
  // bundle on every request (about 4 s for 1 MB), far slower than sending it over loopback.
  auto body = std::make_shared<std::string>(read_file(*file));
  reply_ranged(req, res, body->size(), content_type_for(*file),
               [body](uint64_t offset, uint64_t length, httplib::DataSink& sink) {
                 return sink.write(body->data() + offset, length);
               });
}

}  // namespace attnviz::server
