#include "engine/repair_exec.h"

#include <thread>

#include "core/clock.h"
#include "core/fd.h"
#include "core/stop_signal.h"

namespace hasteward::engine {

namespace {

// "<what> exited with status 1: <stderr tail>"; timeout(1)'s 124 is kTimeout.
core::Status ScriptFailure(core::Subprocess& proc, const core::ExitStatus& st,
                           const std::string& what) {
  std::string tail = proc.StderrTail();
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' '))
    tail.pop_back();
  if (tail.size() > 600)
    tail = tail.substr(tail.size() - 600);
  return core::Status(st.exit_code == 124 ? core::ErrorCode::kTimeout : core::ErrorCode::kInternal,
                      what + " " + st.Describe() + ": " + tail);
}

}  // namespace

core::Result<std::string> RunScript(platform::Platform& platform, const platform::Cluster& cluster,
                                    const platform::Instance& instance, const Script& script) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, instance));
  return RunScript(*handle, script);
}

core::Result<std::string> RunScript(platform::InstanceHandle& handle, const Script& script) {
  const platform::Instance& instance = handle.instance();
  const std::string& what = script.what;
  const std::optional<std::string>& input = script.input;
  core::SubprocessOptions o;
  o.argv = {"sh", "-c", script.text, "repair"};
  o.argv.insert(o.argv.end(), script.args.begin(), script.args.end());
  o.env_set["LC_ALL"] = "C";
  o.stdin_mode = input ? core::StdioMode::kPipe : core::StdioMode::kNull;
  // The script and what it starts (pg_basebackup, mariadb-backup) are killed together when
  // hasteward stops or dies; the instance's server is never started from here.
  o.helper = true;
  o.new_process_group = true;
  // A kept handle serves later calls too: the timeout is this script's, then the handle's again.
  const std::chrono::milliseconds kept_timeout = handle.exec_start_timeout();
  handle.set_exec_start_timeout(script.exec_start_timeout);
  auto started = handle.Exec(std::move(o));
  handle.set_exec_start_timeout(kept_timeout);
  HS_ASSIGN_OR_RETURN(auto proc, std::move(started));
  if (input) {
    core::Status w = core::WriteAll(proc->stdin_fd(), core::AsBytes(*input));
    proc->CloseStdin();
    if (!w.ok())
      return w.Wrap(what + " on '" + instance.name + "'");
  }
  std::string out;
  std::vector<uint8_t> buf(16384);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, core::ReadSome(proc->stdout_fd(), buf));
    if (n == 0)
      break;
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  core::ExitStatus st = proc->Wait();
  if (!st.ok()) {
    return ScriptFailure(*proc, st, what + " on '" + instance.name + "'");
  }
  return out;
}

}  // namespace hasteward::engine
