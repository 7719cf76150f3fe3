#pragma once
// Ctrl-C handling for long work: SIGINT/SIGTERM set a flag that loops poll, so temporary files are
// cleaned up by the normal unwinding path. A second signal terminates at once.
namespace attnviz {

void install_interrupt_handler();
bool interrupted();
void throw_if_interrupted();  // throws Error("interrupted")

}  // namespace attnviz
