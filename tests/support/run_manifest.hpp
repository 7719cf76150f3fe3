#pragma once
// A test's edits to a run's manifest.json, and the error Run::open must then give.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/json.hpp"
#include "run/run.hpp"

namespace attnviz::test {

// Run::open(dir) fails with a message that contains `fragment`.
inline void expect_open_error(const std::filesystem::path& dir, const std::string& fragment) {
  try {
    Run::open(dir);
    FAIL() << "opened " << dir;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

// Rewrites dir/manifest.json after `edit`.
inline void edit_manifest(const std::filesystem::path& dir,
                          const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json m = read_json_file(dir / "manifest.json");
  edit(m);
  write_file_atomic(dir / "manifest.json", m.dump());
}

}  // namespace attnviz::test
