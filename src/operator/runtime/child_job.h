// operator/runtime/child_job: one `hasteward` child process run to completion or stopped on abort.
#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"
#include "operator/config.h"
#include "platform/registry.h"

namespace hasteward::op {

struct ChildCommand {
  std::vector<std::string> argv;
  // Added to the operator's environment. Repository locations go here, never into argv: a URL
  // may carry credentials and every local user can read /proc/<pid>/cmdline, while
  // /proc/<pid>/environ is readable by the process owner only.
  std::map<std::string, std::string> env;
  // How an abort stops the child. SIGTERM for every job: the child's own stop handling kills its
  // helpers and unwinds, so it removes its repository lock (a SIGKILLed backup wrote no snapshot
  // but left its lock, which stock restic then refuses to work past until 'restic unlock'), and a
  // repair puts a moved-aside data directory back. A child still running after abort_grace is
  // SIGKILLed.
  int abort_signal = SIGTERM;
  std::chrono::seconds abort_grace{60};
  // The repository password when it is held in memory only (a BackupRepository's Secret): the
  // child reads it from an anonymous memory file (memfd, mode 0600) it alone inherits, named on its
  // command line as `--restic-password-file /dev/fd/N`. Never a file on disk (a killed operator
  // would leave it behind), never argv or the environment. Empty: argv names a password file.
  std::string password;
};

struct ChildOutcome {
  core::ExitStatus status;
  std::string out;       // the child's stdout
  std::string err_tail;  // the child's last stderr bytes
  bool aborted = false;  // stopped because `abort` became true
};

// `<exe> <verb...> -c <cluster> -n <ns> --restic-password-file F --json ...` against `repo`, on
// `platform`. The repository location is passed as HASTEWARD_BACKUPS_PATH: it may be a URL with
// credentials, which argv would show to every local user (/proc/<pid>/cmdline).
ChildCommand MakeClusterChild(const std::string& exe, const std::vector<std::string>& verb,
                              const ManagedCluster& cluster, const RepositorySpec& repo,
                              const platform::PlatformOptions& platform,
                              const std::string& log_format);

// Starts the command (stdout to a private temp file, stderr captured; with `password`, the
// password flag appended to argv), polls for exit and stops the child as soon as `abort` is set.
core::Result<ChildOutcome> RunChild(const ChildCommand& command, const std::atomic<bool>& abort);

}  // namespace hasteward::op
