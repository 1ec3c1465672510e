// Watching and ending local processes by pid: pid files, liveness, waiting for exit, and finding
// the processes that belong to a directory (leftover servers, SST helpers) through /proc.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace hasteward::core {

// First line of a pid file as a pid; nullopt when missing or unreadable.
std::optional<pid_t> ReadPidFile(const std::string& path);
// Whether pid names a live (not zombie) process.
bool ProcessAlive(pid_t pid);
// Polls until pid is gone; false on timeout.
bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout);
// SIGTERM, then SIGKILL after `grace`; true when the process is gone afterwards.
bool TerminateProcess(pid_t pid, std::chrono::milliseconds grace);
// Pids (other than this process) whose command line mentions `needle`.
std::vector<pid_t> ProcessesMentioning(const std::string& needle);

}  // namespace hasteward::core
