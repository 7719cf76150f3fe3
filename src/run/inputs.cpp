#include "run/inputs.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"

namespace fs = std::filesystem;

namespace attnviz {

namespace {

bool is_blank(const std::string& line) {
  return std::all_of(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c); });
}

// Calls fn(line, line_number) for each non-blank line, without its line ending.
template <typename Fn>
void for_each_line(const std::string& contents, Fn fn) {
  std::istringstream in(contents);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!is_blank(line)) fn(line, number);
  }
}

std::vector<int32_t> read_ids(const nlohmann::json& value, const std::string& key, const std::string& where) {
  if (!value.is_array()) throw Error(where + ": \"" + key + "\" must be an array of integers");
  std::vector<int32_t> ids;
  ids.reserve(value.size());
  for (const auto& v : value) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
        v.get<int64_t>() > std::numeric_limits<int32_t>::max())
      throw Error(where + ": \"" + key + "\" must hold non-negative integers, found " + v.dump());
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return ids;
}

std::string read_string(const nlohmann::json& object, const std::string& key, const std::string& where) {
  const auto& v = object.at(key);
  if (!v.is_string()) throw Error(where + ": \"" + key + "\" must be a string");
  return v.get<std::string>();
}

InputItem parse_jsonl_object(const nlohmann::json& j, const std::string& where, const fs::path& base) {
  if (!j.is_object()) throw Error(where + ": expected a JSON object");
  const int kinds = static_cast<int>(j.contains("text")) + j.contains("input_ids") + j.contains("image");
  if (kinds != 1) throw Error(where + ": expected exactly one of \"text\", \"input_ids\" or \"image\"");
  InputItem item;
  item.origin = where;
  if (j.contains("text")) {
    item.kind = InputKind::Text;
    item.text = read_string(j, "text", where);
    if (j.contains("text_pair")) item.text_pair = read_string(j, "text_pair", where);
  } else if (j.contains("input_ids")) {
    item.kind = InputKind::Ids;
    item.input_ids = read_ids(j.at("input_ids"), "input_ids", where);
    if (item.input_ids.empty()) throw Error(where + ": \"input_ids\" is empty");
    if (j.contains("token_type_ids")) {
      item.token_type_ids = read_ids(j.at("token_type_ids"), "token_type_ids", where);
      if (item.token_type_ids.size() != item.input_ids.size())
        throw Error(where + ": \"token_type_ids\" has " + std::to_string(item.token_type_ids.size()) +
                    " values, \"input_ids\" " + std::to_string(item.input_ids.size()));
    }
  } else {
    item.kind = InputKind::Image;
    const fs::path image = read_string(j, "image", where);
    if (image.empty()) throw Error(where + ": \"image\" is empty");
    item.image = image.is_absolute() ? image : base / image;
  }
  return item;
}

std::vector<InputItem> read_txt(const fs::path& path) {
  std::vector<InputItem> items;
  for_each_line(read_file(path), [&](const std::string& line, int number) {
    InputItem item;
    item.origin = path.string() + ":" + std::to_string(number);
    item.text = line;
    items.push_back(std::move(item));
  });
  return items;
}

std::vector<InputItem> read_jsonl(const fs::path& path) {
  std::vector<InputItem> items;
  const fs::path base = path.parent_path();
  for_each_line(read_file(path), [&](const std::string& line, int number) {
    const std::string where = path.string() + ":" + std::to_string(number);
    items.push_back(parse_jsonl_object(parse_json_strict(line, where), where, base));
  });
  return items;
}

bool is_image_name(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".gif";
}

std::vector<InputItem> read_image_folder(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (is_image_name(it->path()) && it->is_regular_file()) files.push_back(it->path());
  if (ec) throw Error("cannot read " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<InputItem> items;
  for (const fs::path& file : files) {
    InputItem item;
    item.kind = InputKind::Image;
    item.origin = file.string();
    item.image = file;
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace

InputSet read_inputs(const fs::path& path) {
  InputSet set;
  std::error_code ec;
  fs::path source = fs::absolute(path, ec).lexically_normal();  // the server finds image inputs from it
  if (!source.has_filename()) source = source.parent_path();    // "digits/" is the folder digits
  set.source = source.string();
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) throw Error("input " + path.string() + " does not exist");
  if (fs::is_directory(status)) {
    set.kind = "images";
    set.items = read_image_folder(path);
    if (set.items.empty())
      throw Error("input folder " + path.string() + " holds no images (.png .jpg .bmp .gif)");
    return set;
  }
  const std::string ext = path.extension().string();
  if (ext == ".txt") {
    set.kind = "txt";
    set.items = read_txt(path);
  } else if (ext == ".jsonl") {
    set.kind = "jsonl";
    set.items = read_jsonl(path);
  } else {
    throw Error("input " + path.string() + ": expected a .txt file, a .jsonl file or a folder of images");
  }
  if (set.items.empty()) throw Error("input " + path.string() + " holds no inputs");
  return set;
}

}  // namespace attnviz
