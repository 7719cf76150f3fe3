#include "core/interrupt.hpp"

#include <csignal>

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

}  // namespace

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
