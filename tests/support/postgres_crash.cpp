#include "support/postgres_crash.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/clock.h"

namespace hasteward::testing {

namespace {

struct ProcStat {
  std::string state;  // "" when the process is gone
  pid_t parent = -1;
};

// The state and parent pid in /proc/<pid>/stat (the fields after the parenthesised name).
ProcStat ReadStat(const std::string& stat_path) {
  std::ifstream in(stat_path);
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  ProcStat stat;
  if (close == std::string::npos)
    return stat;
  std::istringstream rest(line.substr(close + 1));
  rest >> stat.state >> stat.parent;
  return stat;
}

// Gone, or a zombie (dead; whoever reaps it may be slow).
bool Dead(pid_t pid) {
  std::string state = ReadStat("/proc/" + std::to_string(pid) + "/stat").state;
  return state.empty() || state == "Z";
}

// Gone from the process table. A crashed host's init reaps the dead postmaster at once; the init
// of this test machine reaps orphans only every few seconds, and while the zombie keeps its pid a
// new postmaster reads that pid in postmaster.pid, finds it "alive" and refuses to start.
bool Reaped(pid_t pid) {
  return ReadStat("/proc/" + std::to_string(pid) + "/stat").state.empty();
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (ReadStat(entry.path().string() + "/stat").parent == parent)
      out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

}  // namespace

core::Status KillPostgresHard(const platform::Instance& instance) {
  std::ifstream pid_file(instance.data_dir + "/postmaster.pid");
  pid_t postmaster = 0;
  if (!(pid_file >> postmaster) || postmaster <= 0 || ::kill(postmaster, 0) != 0)
    return core::NotFound("'" + instance.name + "' is not running");
  std::vector<pid_t> children = ChildrenOf(postmaster);
  ::kill(postmaster, SIGKILL);
  for (pid_t child : children)
    ::kill(child, SIGKILL);
  const core::Clock& clock = core::SystemClock::Get();
  auto deadline = clock.Monotonic() + std::chrono::seconds(10);
  children.push_back(postmaster);
  for (pid_t pid : children) {
    while (!Dead(pid)) {
      if (clock.Monotonic() >= deadline)
        return core::Internal("'" + instance.name + "' survived SIGKILL");
      clock.SleepFor(std::chrono::milliseconds(10));
    }
  }
  // The crash has happened (every process is dead); the tests that restart the instance later
  // need the postmaster's pid released as on a host whose init reaps at once.
  auto reap_deadline = clock.Monotonic() + std::chrono::seconds(60);
  while (!Reaped(postmaster)) {
    if (clock.Monotonic() >= reap_deadline) {
      return core::Internal("the killed postmaster of '" + instance.name +
                            "' was not reaped within 60 s");
    }
    clock.SleepFor(std::chrono::milliseconds(50));
  }
  return core::Status::Ok();
}

core::Status KillServerHard(pid_t pid, const std::string& what) {
  if (::kill(pid, SIGKILL) != 0)
    return core::NotFound(what + " (pid " + std::to_string(pid) + ") is not running");
  const core::Clock& clock = core::SystemClock::Get();
  auto deadline = clock.Monotonic() + std::chrono::seconds(60);
  while (!Reaped(pid)) {
    if (clock.Monotonic() >= deadline)
      return core::Internal(what + " was not reaped within 60 s of its SIGKILL");
    clock.SleepFor(std::chrono::milliseconds(50));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::testing
