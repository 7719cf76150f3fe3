// attnviz extract: run a model over a dataset and write a run directory (docs/format.md).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "model/hub.hpp"
#include "run/extract.hpp"

namespace attnviz::cli {

void add_extract_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("extract", "Run a model over inputs and record every head's queries and keys");
  auto options = std::make_shared<ExtractOptions>();
  auto model = std::make_shared<std::string>();
  auto dtype = std::make_shared<std::string>("f16");
  cmd->add_option("--model", *model, "Model folder or Hugging Face hub id (org/name[@revision])")->required();
  // Checked before a hub id is resolved, which may download the model.
  cmd->add_option("--input", options->input, ".txt (one input a line), .jsonl, or a folder of images")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--out", options->out, "Run directory to write")->required();
  cmd->add_option("--max-tokens", options->max_tokens,
                  "Keep whole inputs while their total stays within N tokens")
      ->check(at_least<int64_t>(1));
  cmd->add_option(
         "--max-length", options->max_length,
         "Cut longer text inputs to L tokens (default: longer than the model's positions is an error)")
      ->check(at_least(1));
  cmd->add_option("--dtype", *dtype, "Storage of q and k (and v): f16 or f32")->capture_default_str();
  cmd->add_flag("--values", options->values,
                "Also record value vectors (value-norm weighting; the file grows by half)");
  cmd->add_option("--threads", options->threads, "Threads (default: every core)")->check(at_least(0));
  cmd->add_option("--batch", options->batch_tokens, "Tokens per forward pass (whole inputs, at least one)")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_flag("--force", options->force, "Replace an existing run at --out once the new one is complete");
  cmd->callback([options, model, dtype] {
    if (*dtype != "f16" && *dtype != "f32") throw Error("--dtype must be f16 or f32, not \"" + *dtype + "\"");
    options->dtype = *dtype == "f32" ? DType::F32 : DType::F16;
    if (!options->force && std::filesystem::exists(options->out))
      throw Error(options->out.string() +
                  " already exists (--force replaces it once the new run is complete)");
    options->threads = compute_threads(options->threads);
    install_interrupt_handler();
    install_mapped_file_guard("the model's checkpoint");
    options->model_dir = resolve_model(*model);
    options->model_source = model_source(*model);
    const ExtractResult result = extract(*options);
    std::fprintf(stderr, "wrote %s: %lld sequences, %lld tokens in %.2f s (%.0f tokens/s)\n",
                 options->out.c_str(), static_cast<long long>(result.sequences),
                 static_cast<long long>(result.tokens), result.seconds,
                 result.seconds > 0 ? static_cast<double>(result.tokens) / result.seconds : 0.0);
  });
}

}  // namespace attnviz::cli
