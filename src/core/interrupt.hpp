#pragma once
// Signals of long work. Ctrl-C: SIGINT/SIGTERM set a flag that loops poll, so temporary files are cleaned up
// by the normal unwinding path; a second signal terminates at once. SIGBUS: a job that reads a mapped file
// (extract's checkpoint) ends with one line and exit status 1 when the file is truncated underneath it,
// rather than dying of the signal; what it was writing is in its staging folder, cleared by the next job.
namespace attnviz {

void install_interrupt_handler();
// `what` (a string literal: it is written from the signal handler) names the mapped files, e.g. "the model's
// checkpoint".
void install_mapped_file_guard(const char* what);
bool interrupted();
void throw_if_interrupted();  // throws Error("interrupted")

}  // namespace attnviz
