#include "core/process_info.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/poll_until.h"

namespace hasteward::core {

namespace {

constexpr std::chrono::seconds kAfterKillWait{5};

}  // namespace

std::optional<pid_t> ReadPidFile(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) {
    return std::nullopt;
  }
  char* end = nullptr;
  long pid = std::strtol(text->c_str(), &end, 10);
  if (end == text->c_str() || pid <= 0) {
    return std::nullopt;
  }
  return static_cast<pid_t>(pid);
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) {
    return false;
  }
  // kill(0) succeeds for a zombie: the state letter after the command name in /proc/<pid>/stat
  // tells an exited-but-unreaped process from a running one.
  auto stat = ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) {
    return false;
  }
  auto close = stat->rfind(')');
  return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'Z';
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  return PollUntil([pid] { return !ProcessAlive(pid); }, timeout);
}

bool TerminateProcess(pid_t pid, std::chrono::milliseconds grace) {
  if (!ProcessAlive(pid)) {
    return true;
  }
  ::kill(pid, SIGTERM);
  if (WaitForExit(pid, grace)) {
    return true;
  }
  ::kill(pid, SIGKILL);
  return WaitForExit(pid, kAfterKillWait);
}

std::vector<pid_t> ProcessesMentioning(const std::string& needle) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) {
    return out;
  }
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid == ::getpid()) {
      continue;
    }
    auto cmd = ReadFileToString("/proc/" + std::string(e->d_name) + "/cmdline");
    if (!cmd.ok() || cmd->find(needle) == std::string::npos) {
      continue;
    }
    if (ProcessAlive(static_cast<pid_t>(pid))) {
      out.push_back(static_cast<pid_t>(pid));
    }
  }
  ::closedir(dir);
  return out;
}

std::optional<uint64_t> ProcessStartTicks(pid_t pid) {
  // Not an ifstream: a process that exits mid-read fails the read with ESRCH, which libstdc++'s
  // filebuf throws through an istreambuf_iterator; here it is just a process that is gone.
  auto read = ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!read.ok())
    return std::nullopt;
  const std::string& text = *read;
  auto paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 > text.size())
    return std::nullopt;
  std::istringstream rest(text.substr(paren + 2));
  std::string field;
  // After "pid (comm) " come state (field 3) ... starttime (field 22): skip 19 fields.
  for (int i = 3; i < 22; ++i)
    rest >> field;
  uint64_t ticks = 0;
  if (!(rest >> ticks))
    return std::nullopt;
  return ticks;
}

std::optional<ProcessIdentity> SelfIdentity() {
  // A /proc mounted from another PID namespace numbers processes differently: its /proc/<pid>
  // would describe someone else's process, so such a /proc identifies nothing.
  char link[32] = {0};
  ssize_t n = ::readlink("/proc/self", link, sizeof(link) - 1);
  if (n <= 0 || std::string(link, static_cast<size_t>(n)) != std::to_string(::getpid()))
    return std::nullopt;
  ProcessIdentity self;
  auto boot_id = ReadFileToString("/proc/sys/kernel/random/boot_id");
  if (!boot_id.ok())
    return std::nullopt;
  self.boot_id = boot_id->substr(0, boot_id->find_first_of(" \n"));
  struct stat ns {};
  if (::stat("/proc/self/ns/pid", &ns) != 0)
    return std::nullopt;
  self.pid_namespace = static_cast<uint64_t>(ns.st_ino);
  if (::stat("/proc/self/ns/time", &ns) == 0)
    self.time_namespace = static_cast<uint64_t>(ns.st_ino);
  self.start_ticks = ProcessStartTicks(::getpid()).value_or(0);
  if (self.boot_id.empty() || self.pid_namespace == 0 || self.start_ticks == 0)
    return std::nullopt;
  return self;
}

}  // namespace hasteward::core
