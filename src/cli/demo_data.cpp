#include "cli/demo_data.hpp"

#include <stb_image_write.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/fs.hpp"

namespace attnviz::cli {
namespace fs = std::filesystem;

namespace {

constexpr int kDigitSide = 28;

// The first `count` sentences of the held-out Brown documents (one sentence a line, blank lines between
// documents), one a line.
std::string brown_sentences(const fs::path& bundle, int count) {
  std::istringstream text(read_file(bundle / "data" / "brown_eval.txt"));
  std::string line, out;
  int taken = 0;
  while (taken < count && std::getline(text, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out += line + "\n";
    ++taken;
  }
  if (taken < count)
    throw Error("data/brown_eval.txt holds fewer than " + std::to_string(count) + " sentences");
  return out;
}

// The first `count` held-out MNIST digits (uint32 n, n×784 pixels, n labels) as PNG files.
void write_mnist_digits(const fs::path& bundle, int count, const fs::path& dir) {
  const fs::path source = bundle / "data" / "mnist_test.bin";
  const std::string bytes = read_file(source);
  uint32_t n = 0;
  if (bytes.size() >= 4) std::memcpy(&n, bytes.data(), 4);
  const size_t pixels = size_t{kDigitSide} * kDigitSide;
  if (bytes.size() != 4 + size_t{n} * (pixels + 1) || n < static_cast<uint32_t>(count))
    throw Error(source.string() + ": not an MNIST file of at least " + std::to_string(count) + " digits");
  fs::create_directories(dir);
  for (int i = 0; i < count; ++i) {
    const auto* image = reinterpret_cast<const unsigned char*>(bytes.data() + 4 + i * pixels);
    const int label = static_cast<unsigned char>(bytes[4 + n * pixels + i]);
    char name[64];
    std::snprintf(name, sizeof name, "digit%03d_label%d.png", i, label);
    if (!stbi_write_png((dir / name).c_str(), kDigitSide, kDigitSide, 1, image, kDigitSide))
      throw Error("cannot write " + (dir / name).string());
  }
}

}  // namespace

const std::vector<DemoSpec>& demo_specs() {
  static const std::vector<DemoSpec> specs{{"brown-gpt", 300}, {"brown-bert", 300}, {"mnist-vit", 200}};
  return specs;
}

const DemoSpec& demo_spec(const std::string& model) {
  for (const auto& spec : demo_specs())
    if (spec.model == model) return spec;
  throw Error("unknown demo model '" + model + "'; the demos are brown-gpt, brown-bert and mnist-vit");
}

fs::path bundle_root() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& root :
       {exe.parent_path().parent_path(), exe.parent_path().parent_path() / "share/attnviz",
        fs::path(ATTNVIZ_SOURCE_DIR)})
    if (!root.empty() && fs::is_directory(root / "models") && fs::is_directory(root / "data")) return root;
  throw Error("the bundled models/ and data/ folders were not found beside the attnviz binary or in " +
              std::string(ATTNVIZ_SOURCE_DIR));
}

fs::path write_demo_input(const DemoSpec& spec, const fs::path& bundle, const fs::path& dir) {
  fs::create_directories(dir);
  if (spec.model == "mnist-vit") {
    const fs::path digits = dir / "digits";
    write_mnist_digits(bundle, spec.inputs, digits);
    return digits;
  }
  const fs::path sentences = dir / "sentences.txt";
  write_file_atomic(sentences, brown_sentences(bundle, spec.inputs));
  return sentences;
}

}  // namespace attnviz::cli
