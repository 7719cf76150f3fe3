#pragma once
// A progress bar on stderr: label, done/total, rate and ETA. Redraws at most a few times a second;
// when stderr is not a terminal it prints a plain line every few seconds instead.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace attnviz {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "");
  ~Progress();                  // finishes the line
  void advance(int64_t n = 1);  // thread-safe
  void finish();

 private:
  void draw(bool final);
  std::string label_, unit_;
  int64_t total_, done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool finished_ = false, tty_;
  std::mutex mutex_;
};

}  // namespace attnviz
