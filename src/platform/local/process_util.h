// Small OS helpers for running and watching local server processes: OS users, TCP probes, pid
// files and /proc scans. Used by LocalPlatform and the sandbox.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "core/status.h"
#include "core/subprocess.h"

namespace hasteward::platform {

struct OsUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
  std::string home;
};

// getpwnam; kNotFound naming the user when it does not exist.
core::Result<OsUser> LookupOsUser(const std::string& name);
// The user this process runs as.
OsUser CurrentOsUser();
bool RunningAsRoot();

// When running as root and os_user names another user, makes `options` run as that user (uid,
// gid, HOME/USER/LOGNAME, cwd "/" unless set). Otherwise leaves them unchanged.
core::Status RunAsOsUser(const std::string& os_user, core::SubprocessOptions& options);

// Whether a TCP connection to host:port succeeds right now.
bool TcpAccepts(const std::string& host, int port);
// Polls TcpAccepts until it succeeds; kTimeout naming `what` after `timeout`.
core::Status WaitForTcp(const std::string& host, int port, std::chrono::milliseconds timeout,
                        const std::string& what);

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

}  // namespace hasteward::platform
