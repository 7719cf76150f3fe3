#include "layout/progress_file.hpp"

#include <unistd.h>

#include <chrono>

#include "core/fs.hpp"
#include "core/process.hpp"

namespace attnviz {

double unix_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void write_progress_file(const std::filesystem::path& path, nlohmann::json files) {
  files["writer"] = {{"pid", ::getpid()}, {"host", host_name()}, {"heartbeat", unix_seconds_now()}};
  write_file_atomic(path, files.dump() + "\n");
}

bool progress_writer_running(const nlohmann::json& progress, double now) {
  if (!progress.is_object() || !progress.contains("writer")) return false;
  const nlohmann::json& writer = progress["writer"];
  if (!writer.is_object() || !writer.contains("pid") || !writer["pid"].is_number_integer() ||
      !writer.contains("heartbeat") || !writer["heartbeat"].is_number())
    return false;
  const double age = now - writer["heartbeat"].get<double>();
  // A NaN fails both; a heartbeat from far in the future (a clock set wrong) counts as silent too.
  if (!(age <= kHeartbeatTimeoutSeconds && age >= -kHeartbeatTimeoutSeconds)) return false;
  const bool here = !writer.contains("host") || writer["host"] == host_name();
  return !here || process_alive(writer["pid"].get<long>());
}

}  // namespace attnviz
