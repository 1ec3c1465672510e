#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/process_info.h"
#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::repo {

// A lock file's content (restic-format.md §7).
struct LockInfo {
  Id id{};
  GoTime time;
  bool exclusive = false;
  std::string hostname;
  std::string username;
  int64_t pid = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  // Written by HASteward (the "hasteward" object, which restic ignores); absent in restic's locks.
  std::optional<core::ProcessIdentity> process;
};

// What a staleness judgement knows about the machine it runs on; tests pass a fake.
struct LockHost {
  // This process (its boot id and namespaces); nullopt when /proc does not tell.
  std::optional<core::ProcessIdentity> self;
  // Start time of `pid` in our PID namespace: nullopt when no such process, 0 when it exists but
  // its start time is unreadable.
  std::function<std::optional<uint64_t>(int64_t pid)> start_ticks;
};
LockHost LocalLockHost();

// Stale: older than 30 minutes (a live holder refreshes every 5), or written in our PID namespace
// of this boot by a process that is gone (its PID is free, or taken by a later process). A host
// name proves nothing: pods and containers share host names and PIDs, so a lock without the
// holder's identity (restic's, older HASteward's) is judged by its age alone.
bool IsLockStale(const LockInfo& lock, int64_t now_unix, const LockHost& host);

std::string LocalHostname();
std::string LocalUsername();

struct LockOptions {
  bool exclusive = false;
  // How long to wait for a conflicting live lock to go away before refusing (kLocked).
  std::chrono::milliseconds wait{0};
  // Remove stale locks (see IsLockStale) found on the way, with a log.
  bool remove_stale = true;
  // Lock file times, staleness and the wait's deadline; tests pass a core::ManualClock.
  const core::Clock* clock = &core::SystemClock::Get();
};

// A held repository lock. Non-exclusive locks coexist; an exclusive lock tolerates no other lock,
// so a backup never runs while a prune rewrites the index. The lock file is refreshed every 5
// minutes (as restic does) and removed on destruction.
class RepoLock {
 public:
  static core::Result<std::unique_ptr<RepoLock>> Acquire(Repository& repo, const LockOptions& opts);
  ~RepoLock();
  RepoLock(const RepoLock&) = delete;
  RepoLock& operator=(const RepoLock&) = delete;

  // Removes the lock file now. Idempotent.
  core::Status Release();
  // True when a refresh failed or our lock file was removed by someone else (the caller must not
  // commit a snapshot then).
  bool Lost() const { return lost_; }

 private:
  RepoLock(Repository& repo, bool exclusive, const core::Clock& clock)
      : repo_(repo), exclusive_(exclusive), clock_(clock) {}
  core::Status WriteLockFile();
  void RefreshLoop();

  Repository& repo_;
  bool exclusive_;
  const core::Clock& clock_;
  Id current_{};
  std::atomic<bool> lost_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool released_ = false;
  std::thread refresher_;
};

// All lock files. Unreadable lock files are returned with pid 0 and an empty host.
core::Result<std::vector<LockInfo>> ListLocks(Repository& repo);

// Removes stale locks (or all locks with `all`); returns how many were removed.
core::Result<int> RemoveLocks(Repository& repo, bool all,
                              const core::Clock& clock = core::SystemClock::Get());

}  // namespace hasteward::repo
