#include "core/process_info.h"

#include <cerrno>
#include <cstdlib>

#include <dirent.h>
#include <signal.h>
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

}  // namespace hasteward::core
