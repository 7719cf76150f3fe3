#include "core/progress.hpp"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>

namespace attnviz {

namespace {

using Clock = std::chrono::steady_clock;

// A terminal line is redrawn in place a few times a second; a log (not a terminal) gets a line every few
// seconds.
constexpr auto kTerminalInterval = std::chrono::milliseconds(200);
constexpr auto kLogInterval = std::chrono::seconds(5);

std::string format(const char* pattern, auto... values) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), pattern, values...);
  return buffer;
}

std::string duration_text(double seconds) {
  const auto total = static_cast<int64_t>(seconds + 0.5);
  if (total >= 3600)
    return format("%" PRId64 ":%02d:%02d", total / 3600, int(total / 60 % 60), int(total % 60));
  return format("%d:%02d", int(total / 60), int(total % 60));
}

std::string bar(int64_t done, int64_t total) {
  constexpr int kWidth = 20;
  const int filled = total > 0 ? static_cast<int>(kWidth * std::min(done, total) / total) : 0;
  return "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
}

}  // namespace

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      start_(Clock::now()),
      last_draw_(start_),
      tty_(::isatty(STDERR_FILENO) == 1) {
  if (tty_) draw(false);
}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t n) {
  std::lock_guard lock(mutex_);
  done_ += n;
  if (finished_) return;
  const auto now = Clock::now();
  if (now - last_draw_ >= (tty_ ? Clock::duration(kTerminalInterval) : Clock::duration(kLogInterval)))
    draw(false);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  last_draw_ = Clock::now();
  const double seconds = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = seconds > 0 ? done_ / seconds : 0;
  const std::string unit = unit_.empty() ? "" : " " + unit_;

  std::string line = label_ + " ";
  if (tty_ && total_ > 0) line += bar(done_, total_) + " ";
  line += std::to_string(done_);
  if (total_ > 0) line += "/" + std::to_string(total_);
  line += unit + format(", %.1f", rate) + unit + "/s";
  if (final) {
    line += ", took " + duration_text(seconds);
  } else if (total_ > 0 && rate > 0 && done_ < total_) {
    line += ", ETA " + duration_text((total_ - done_) / rate);
  }
  // On a terminal: return to the line start, draw, clear the rest of the old line.
  const std::string text = tty_ ? "\r" + line + "\033[K" + (final ? "\n" : "") : line + "\n";
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace attnviz
