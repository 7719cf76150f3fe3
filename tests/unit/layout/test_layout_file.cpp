// The layout files: their names, the one policy for a file or a head that does not fit the run, and writing
// that merges new heads into what is there.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/safetensors.hpp"
#include "layout/layout_file.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"

namespace fs = std::filesystem;

namespace attnviz {
namespace {

// A run of 2 layers x 3 heads over 5 tokens, and its layout files.
class LayoutFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::TinyRun::text({"gpt2", "text", 2, 3, 3, 4, true, 0.5f}, {{"a", " b", " c"}, {"d", " e"}})
        .write(dir_);
    run_ = attnviz::Run::open(dir_);
    fs::create_directories(dir_ / "layouts");
  }

  // Points [2N, dim] whose values say which head they belong to.
  std::vector<float> points(int layer, int head, int dim, int64_t tokens = 5) const {
    std::vector<float> v(static_cast<size_t>(2 * tokens * dim));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(layer * 100 + head * 10) + 0.5f * i;
    return v;
  }
  // Writes tensors as they are, whatever they hold, as another program (or another run's job) might.
  void write_raw(const fs::path& path,
                 const std::vector<std::pair<std::string, std::vector<int64_t>>>& shapes) {
    std::vector<std::vector<float>> data;
    std::vector<TensorToWrite> tensors;
    for (const auto& [name, shape] : shapes)
      data.emplace_back(static_cast<size_t>(shape[0] * shape[1]), 1.0f);
    for (size_t i = 0; i < shapes.size(); ++i)
      tensors.push_back({{shapes[i].first, DType::F32, shapes[i].second}, std::as_bytes(std::span(data[i]))});
    write_safetensors(path, tensors);
  }
  fs::path path(LayoutMethod method, int dim) const { return layout_file_path(dir_, method, dim); }

  test::TempDir temp_;
  fs::path dir_ = temp_ / "run";
  std::shared_ptr<const attnviz::Run> run_;  // (::testing::Test has a member Run)
};

TEST_F(LayoutFileTest, NamesFollowTheFormat) {
  EXPECT_EQ(layout_file_name(LayoutMethod::TSNE, 2), "tsne-2d");
  EXPECT_EQ(layout_file_path("RUN", LayoutMethod::UMAP, 3), fs::path("RUN/layouts/umap-3d.safetensors"));
  EXPECT_EQ(head_tensor_name(10, 2), "l10.h2");
}

TEST_F(LayoutFileTest, AnAbsentFileHasNoHeadsAndNoProblem) {
  const LayoutFile file = LayoutFile::read(*run_, path(LayoutMethod::PCA, 2), 2);
  EXPECT_FALSE(file.exists());
  EXPECT_TRUE(file.problem().empty());
  EXPECT_EQ(file.heads_ready(), 0);
  EXPECT_TRUE(file.points_bytes(1, 2).empty());
  EXPECT_THROW(file.head(1, 2), Error);
  EXPECT_THROW(file.has(2, 0), Error) << "out of the run's range";
}

TEST_F(LayoutFileTest, WhatPlacingNeedsIsKeptWhenPresentAndOptionalWhenNot) {
  HeadLayout full{points(0, 0, 2), {2.0f}, {1, 2, 3, 4}, {0.5f, 0, 0, 1}, {1, 0, 0, 0, 0, 1, 0, 0}};
  write_layout_file(*run_, LayoutMethod::PCA, 2, {{{0, 0}, full}, {{1, 1}, {points(1, 1, 2)}}});
  const LayoutFile file = LayoutFile::read(*run_, path(LayoutMethod::PCA, 2), 2);
  EXPECT_TRUE(file.problem().empty()) << file.problem();
  EXPECT_EQ(file.heads_ready(), 2);
  const HeadLayout read = file.head(0, 0);
  EXPECT_EQ(read.scale, full.scale);
  EXPECT_EQ(read.shift, full.shift);
  EXPECT_EQ(read.mean, full.mean);
  EXPECT_EQ(read.components, full.components);
  EXPECT_TRUE(file.head(1, 1).scale.empty()) << "a head without them (an older file) is still read";
  // Rewriting keeps them; one of the wrong shape makes the head not fit.
  write_layout_file(*run_, LayoutMethod::PCA, 2, {{{0, 1}, {points(0, 1, 2)}}});
  EXPECT_EQ(LayoutFile::read(*run_, path(LayoutMethod::PCA, 2), 2).head(0, 0).components, full.components);
  write_raw(path(LayoutMethod::TSNE, 2), {{"l0.h0", {10, 2}}, {"l0.h0.shift", {1, 3}}});
  const LayoutFile bad = LayoutFile::read(*run_, path(LayoutMethod::TSNE, 2), 2);
  EXPECT_EQ(bad.heads_ready(), 0);
  EXPECT_NE(bad.problem().find("l0.h0.shift"), std::string::npos) << bad.problem();
}

TEST_F(LayoutFileTest, WritingMergesNewHeadsIntoTheFileByLayerThenHead) {
  write_layout_file(*run_, LayoutMethod::UMAP, 2, {{{1, 2}, {points(1, 2, 2)}}, {{0, 1}, {points(0, 1, 2)}}});
  write_layout_file(*run_, LayoutMethod::UMAP, 2,
                    {{{0, 0}, {points(0, 0, 2)}}, {{1, 2}, {points(1, 2, 2, 5)}}});
  const LayoutFile file = LayoutFile::read(*run_, path(LayoutMethod::UMAP, 2), 2);
  EXPECT_TRUE(file.exists());
  EXPECT_TRUE(file.problem().empty()) << file.problem();
  EXPECT_EQ(file.heads(), (std::vector<HeadId>{{0, 0}, {0, 1}, {1, 2}}));
  EXPECT_EQ(file.heads_ready(), 3);
  EXPECT_EQ(file.head(0, 1).points, points(0, 1, 2));
  EXPECT_EQ(file.points_bytes(1, 2).size(), 2 * 5 * 2 * sizeof(float));
  const auto raw = SafetensorsFile::open(path(LayoutMethod::UMAP, 2));
  EXPECT_EQ(raw->metadata(),
            (std::map<std::string, std::string>{
                {"dim", "2"}, {"format", "attnviz-layout"}, {"method", "umap"}, {"tokens", "5"}}));
  EXPECT_EQ(raw->tensors().size(), 3u);
}

// NaN or infinity in a head (another program's file, a disk error) would reach grid indices and sorts as
// undefined behaviour: such a head does not fit, like a wrong shape.
TEST_F(LayoutFileTest, AHeadHoldingANonFiniteValueDoesNotFit) {
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    std::vector<float> good = points(0, 0, 2), broken = points(0, 1, 2);
    broken[7] = bad;
    write_safetensors(path(LayoutMethod::UMAP, 2),
                      {{{"l0.h0", DType::F32, {10, 2}}, std::as_bytes(std::span(good))},
                       {{"l0.h1", DType::F32, {10, 2}}, std::as_bytes(std::span(broken))}});
    const LayoutFile file = LayoutFile::read(*run_, path(LayoutMethod::UMAP, 2), 2);
    EXPECT_EQ(file.heads(), (std::vector<HeadId>{{0, 0}})) << bad;
    EXPECT_EQ(file.problem(), path(LayoutMethod::UMAP, 2).string() +
                                  ": tensor l0.h1 holds a value that is not a finite number");
  }
}

// One policy: a head that does not fit is described and not used, the others are; a rewrite drops it.
TEST_F(LayoutFileTest, AHeadThatDoesNotFitIsAProblemAndTheOthersAreRead) {
  const fs::path file_path = path(LayoutMethod::TSNE, 3);
  write_raw(file_path, {{"l0.h0", {10, 3}},
                        {"l0.h1", {8, 3}},
                        {"l1.h1", {10, 3}},
                        {"l0.h2", {10, 2}},
                        {"l5.h0", {10, 3}},
                        {"notes", {1, 1}}});
  const LayoutFile file = LayoutFile::read(*run_, file_path, 3);
  EXPECT_EQ(file.heads(), (std::vector<HeadId>{{0, 0}, {1, 1}}));
  EXPECT_EQ(file.problem(),
            file_path.string() +
                ": tensor l0.h1 is F32 [8, 3], this run needs F32 [10, 3]: the file was laid out for "
                "another run (2 heads do not fit)");
  write_layout_file(*run_, LayoutMethod::TSNE, 3, {{{0, 1}, {points(0, 1, 3)}}});
  const LayoutFile rewritten = LayoutFile::read(*run_, file_path, 3);
  EXPECT_TRUE(rewritten.problem().empty()) << rewritten.problem();
  EXPECT_EQ(rewritten.heads(), (std::vector<HeadId>{{0, 0}, {0, 1}, {1, 1}}));
  EXPECT_EQ(SafetensorsFile::open(file_path)->tensors().size(), 3u) << "what did not fit is not kept";
}

TEST_F(LayoutFileTest, AFileThatIsNotSafetensorsIsAProblemWithNoHeads) {
  const fs::path file_path = path(LayoutMethod::PCA, 3);
  write_file_atomic(file_path, "garbage");
  const LayoutFile file = LayoutFile::read(*run_, file_path, 3);
  EXPECT_TRUE(file.exists());
  EXPECT_EQ(file.heads_ready(), 0);
  EXPECT_NE(file.problem().find(file_path.string() + ": "), std::string::npos) << file.problem();
  write_layout_file(*run_, LayoutMethod::PCA, 3, {{{1, 0}, {points(1, 0, 3)}}});
  EXPECT_EQ(LayoutFile::read(*run_, file_path, 3).heads(), (std::vector<HeadId>{{1, 0}}));
}

TEST_F(LayoutFileTest, WritingChecksTheShapeOfWhatIsWritten) {
  EXPECT_THROW(write_layout_file(*run_, LayoutMethod::PCA, 2, {{{0, 0}, {points(0, 0, 3)}}}), Error);
  EXPECT_FALSE(fs::exists(path(LayoutMethod::PCA, 2)));
}

}  // namespace
}  // namespace attnviz
