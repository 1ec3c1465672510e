// Watching and ending local processes by pid: pid files, liveness, waiting for exit, and finding
// the processes that belong to a directory (leftover servers, SST helpers) through /proc.
#pragma once

#include <chrono>
#include <cstdint>
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
// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); nullopt when gone.
std::optional<uint64_t> ProcessStartTicks(pid_t pid);

// A process beyond its host name and PID. Two containers (pods) can share a host name and a PID
// while being different processes; a PID names one process only within one PID namespace of one
// running kernel. So: the kernel's boot id (random per boot, not namespaced), the inode of the
// PID namespace (/proc/self/ns/pid) and the start time (which tells a reused PID). A start time
// read through /proc is shifted by the reader's time namespace, so that namespace is kept too.
struct ProcessIdentity {
  std::string boot_id;
  uint64_t pid_namespace = 0;
  uint64_t time_namespace = 0;  // 0 on kernels without time namespaces (before 5.6)
  uint64_t start_ticks = 0;
  bool operator==(const ProcessIdentity&) const = default;
};
// This process's identity; nullopt when /proc does not tell all three (not mounted, not Linux).
std::optional<ProcessIdentity> SelfIdentity();

}  // namespace hasteward::core
