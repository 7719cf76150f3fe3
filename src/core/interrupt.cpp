#include "core/interrupt.hpp"

#include <unistd.h>

#include <csignal>
#include <cstring>

#include "core/error.hpp"

namespace attnviz {

namespace {

volatile std::sig_atomic_t interrupt_flag = 0;

extern "C" void on_interrupt(int signal_number) {
  if (interrupt_flag) {  // the second signal: the user wants out now
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
    return;
  }
  interrupt_flag = 1;
}

const char* mapped_files = "a mapped file";

// Only async-signal-safe calls: write(2) and _exit(2).
extern "C" void on_bus_error(int) {
  const char* parts[] = {"error: ", mapped_files,
                         " changed (truncated or replaced) while attnviz read it; nothing was kept\n"};
  for (const char* part : parts) {
    ssize_t ignored = write(STDERR_FILENO, part, std::strlen(part));
    (void)ignored;
  }
  _exit(1);
}

}  // namespace

void install_mapped_file_guard(const char* what) {
  mapped_files = what;
  struct sigaction action = {};
  action.sa_handler = on_bus_error;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, nullptr);
}

void install_interrupt_handler() {
  struct sigaction action = {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() { return interrupt_flag != 0; }

void throw_if_interrupted() {
  if (interrupted()) throw Error("interrupted");
}

}  // namespace attnviz
