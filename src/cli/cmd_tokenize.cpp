// attnviz tokenize: what the model's tokenizer makes of some texts, one JSON object per text per line.
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnviz::cli {

namespace {

struct TokenizeOptions {
  std::string model;
  std::vector<std::string> texts;
  bool no_special = false;
};

void print_encoding(const Encoding& e) {
  nlohmann::ordered_json out;
  out["ids"] = e.ids;
  out["tokens"] = e.tokens;
  out["offsets"] = nlohmann::json::array();
  for (const auto& [begin, end] : e.offsets) out["offsets"].push_back({begin, end});
  out["type_ids"] = e.type_ids;
  std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

// The text of one stdin line {"text": "..."}; nullopt for a blank line.
std::optional<std::string> text_of_line(const std::string& line, size_t number) {
  if (line.find_first_not_of(" \t\r") == std::string::npos) return std::nullopt;
  const std::string where = "stdin line " + std::to_string(number);
  const nlohmann::json value = parse_json_strict(line, where);
  const auto text = value.is_object() ? value.find("text") : value.end();
  if (!value.is_object() || text == value.end() || !text->is_string()) {
    throw Error(where + ": expected an object {\"text\": \"...\"}");
  }
  return text->get<std::string>();
}

void run(const TokenizeOptions& options) {
  const Tokenizer tokenizer = Tokenizer::load(options.model);
  const bool add_special = !options.no_special;
  for (const std::string& text : options.texts) print_encoding(tokenizer.encode(text, add_special));
  if (!options.texts.empty()) return;
  std::string line;
  for (size_t number = 1; std::getline(std::cin, line); ++number) {
    if (const auto text = text_of_line(line, number)) print_encoding(tokenizer.encode(*text, add_special));
  }
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand(
      "tokenize",
      "Tokenize texts with a model's tokenizer; prints {\"ids\", \"tokens\", \"offsets\", \"type_ids\"} per "
      "line "
      "(offsets in code points). Without TEXT, reads JSON lines {\"text\": \"...\"} from stdin.");
  cmd->add_option("--model", options->model, "model folder, or a folder or file with tokenizer.json")
      ->required();
  cmd->add_option("text", options->texts, "texts to tokenize");
  cmd->add_flag("--no-special", options->no_special, "do not add the special tokens of the post-processor");
  cmd->callback([options] { run(*options); });
}

}  // namespace attnviz::cli
