#include "repo/lock/repo_lock.h"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include "core/log.h"
#include "core/stop_signal.h"

namespace hasteward::repo {

namespace {

using storage::FileType;

constexpr int64_t kStaleSeconds = int64_t{30} * 60;
constexpr auto kRefreshInterval = std::chrono::minutes(5);
constexpr auto kSettleDelay = std::chrono::milliseconds(200);
// Retries back off from kFirstRetry, doubling to kMaxRetry: a short wait is noticed quickly,
// and a waiter of many minutes lists the locks only every few seconds (each list is a request
// to the backend). Jitter keeps rival waiters from retrying in lock step.
constexpr auto kFirstRetry = std::chrono::milliseconds(500);
constexpr auto kMaxRetry = std::chrono::milliseconds(4000);

std::string EncodeLock(const LockInfo& l) {
  std::string out = "{\"time\":" + GoJsonString(l.time.Format()) +
                    ",\"exclusive\":" + (l.exclusive ? "true" : "false") +
                    ",\"hostname\":" + GoJsonString(l.hostname) +
                    ",\"username\":" + GoJsonString(l.username) +
                    ",\"pid\":" + std::to_string(l.pid);
  if (l.uid != 0)
    out += ",\"uid\":" + std::to_string(l.uid);
  if (l.gid != 0)
    out += ",\"gid\":" + std::to_string(l.gid);
  if (l.process) {
    // restic decodes lock files into a struct, which ignores fields it does not know.
    out += ",\"hasteward\":{\"boot_id\":" + GoJsonString(l.process->boot_id) +
           ",\"pid_namespace\":" + std::to_string(l.process->pid_namespace) +
           ",\"time_namespace\":" + std::to_string(l.process->time_namespace) +
           ",\"start_ticks\":" + std::to_string(l.process->start_ticks) + "}";
  }
  return out + "}";
}

uint64_t UnsignedField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

// The "hasteward" object of a lock file; nullopt when absent or incomplete (then only the lock's
// age can make it stale).
std::optional<core::ProcessIdentity> DecodeProcess(const nlohmann::json& lock) {
  auto it = lock.find("hasteward");
  if (it == lock.end() || !it->is_object())
    return std::nullopt;
  core::ProcessIdentity process;
  auto boot_id = it->find("boot_id");
  if (boot_id != it->end() && boot_id->is_string())
    process.boot_id = boot_id->get<std::string>();
  process.pid_namespace = UnsignedField(*it, "pid_namespace");
  process.time_namespace = UnsignedField(*it, "time_namespace");
  process.start_ticks = UnsignedField(*it, "start_ticks");
  if (process.boot_id.empty() || process.pid_namespace == 0 || process.start_ticks == 0)
    return std::nullopt;
  return process;
}

std::chrono::milliseconds NextRetry(std::chrono::milliseconds previous) {
  thread_local std::mt19937 rng{std::random_device{}()};
  auto doubled = std::min(previous * 2, kMaxRetry);
  std::uniform_int_distribution<int64_t> jitter(doubled.count() * 3 / 4, doubled.count());
  return std::chrono::milliseconds(jitter(rng));
}

std::string FormatWait(std::chrono::milliseconds wait) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait).count();
  return std::to_string(seconds) + "s";
}

std::string Describe(const LockInfo& l) {
  return std::string(l.exclusive ? "exclusive" : "shared") + " lock '" +
         IdToHex(l.id).substr(0, 8) + "' held by PID " + std::to_string(l.pid) + " on host '" +
         l.hostname + "' (user '" + l.username + "') since " + l.time.Format();
}

bool Conflicts(const LockInfo& other, bool want_exclusive) {
  return want_exclusive || other.exclusive;
}

}  // namespace

std::string LocalHostname() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0)
    return "localhost";
  return buf;
}

std::string LocalUsername() {
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buf[1024];
  if (::getpwuid_r(::geteuid(), &pw, buf, sizeof(buf), &result) == 0 && result != nullptr) {
    return pw.pw_name;
  }
  return std::to_string(::geteuid());
}

LockHost LocalLockHost() {
  LockHost host;
  host.self = core::SelfIdentity();
  host.start_ticks = [](int64_t pid) -> std::optional<uint64_t> {
    // kill(0) asks our PID namespace (EPERM: it exists, another user's); /proc may hide other
    // users' processes (hidepid), so an unreadable start time means "exists", never "gone".
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      return std::nullopt;
    return core::ProcessStartTicks(static_cast<pid_t>(pid)).value_or(0);
  };
  return host;
}

bool IsLockStale(const LockInfo& lock, int64_t now_unix, const LockHost& host) {
  if (now_unix - lock.time.unix_seconds > kStaleSeconds) {
    return true;
  }
  // A PID is only meaningful in the namespace it was taken in: a lock from another container
  // (same host name, same PID, or a live PID invisible from here) must wait for its age. Under
  // the same boot id and namespaces the host name does not matter, the PID is ours to check.
  if (!lock.process || !host.self || lock.pid <= 0 || lock.process->boot_id != host.self->boot_id ||
      lock.process->pid_namespace != host.self->pid_namespace ||
      lock.process->time_namespace != host.self->time_namespace) {
    return false;
  }
  auto start = host.start_ticks(lock.pid);
  if (!start) {
    return true;  // the holder is gone
  }
  return *start != 0 && *start != lock.process->start_ticks;  // PID reused by a later process
}

core::Result<std::vector<LockInfo>> ListLocks(Repository& repo) {
  HS_ASSIGN_OR_RETURN(auto files, repo.ListFiles(FileType::kLock));
  std::vector<LockInfo> locks;
  for (const auto& f : files) {
    LockInfo info;
    HS_ASSIGN_OR_RETURN(info.id, IdFromHex(f.name));
    auto json = repo.LoadUnpacked(FileType::kLock, info.id);
    if (!json.ok()) {
      if (json.status().code() == core::ErrorCode::kNotFound)
        continue;  // removed meanwhile
      core::LogWarn("ignoring unreadable lock '" + f.name + "': " + json.status().message());
      continue;
    }
    auto j = nlohmann::json::parse(*json, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      continue;
    auto t = ParseGoTime(j.value("time", ""));
    if (t.ok())
      info.time = *t;
    info.exclusive = j.value("exclusive", false);
    info.hostname = j.value("hostname", "");
    info.username = j.value("username", "");
    info.pid = j.value("pid", int64_t{0});
    info.process = DecodeProcess(j);
    locks.push_back(info);
  }
  return locks;
}

core::Result<int> RemoveLocks(Repository& repo, bool all, const core::Clock& clock) {
  HS_ASSIGN_OR_RETURN(auto locks, ListLocks(repo));
  int removed = 0;
  LockHost host = LocalLockHost();
  for (const auto& l : locks) {
    if (all || IsLockStale(l, clock.NowUnixSeconds(), host)) {
      HS_TRY(repo.backend().Remove(storage::Handle{FileType::kLock, IdToHex(l.id)}));
      core::LogInfo("removed " + std::string(all ? "" : "stale ") + Describe(l));
      ++removed;
    }
  }
  return removed;
}

core::Status RepoLock::WriteLockFile() {
  LockInfo l;
  l.time = LocalTimeNow(clock_);
  l.exclusive = exclusive_;
  l.hostname = LocalHostname();
  l.username = LocalUsername();
  l.pid = ::getpid();
  l.uid = ::geteuid();
  l.gid = ::getegid();
  l.process = core::SelfIdentity();
  HS_ASSIGN_OR_RETURN(current_, repo_.SaveUnpacked(FileType::kLock, EncodeLock(l)));
  return core::Status::Ok();
}

core::Result<std::unique_ptr<RepoLock>> RepoLock::Acquire(Repository& repo,
                                                          const LockOptions& opts) {
  const core::Clock& clock = *opts.clock;
  std::unique_ptr<RepoLock> lock(new RepoLock(repo, opts.exclusive, clock));
  auto deadline = clock.Monotonic() + opts.wait;
  LockHost host = LocalLockHost();
  bool announced = false;
  auto retry = kFirstRetry / 2;
  while (true) {
    HS_ASSIGN_OR_RETURN(auto locks, ListLocks(repo));
    const LockInfo* conflict = nullptr;
    for (const auto& l : locks) {
      if (l.id == lock->current_)
        continue;
      if (opts.remove_stale && IsLockStale(l, clock.NowUnixSeconds(), host)) {
        HS_TRY(repo.backend().Remove(storage::Handle{FileType::kLock, IdToHex(l.id)}));
        core::LogInfo("removed stale " + Describe(l));
        continue;
      }
      if (Conflicts(l, opts.exclusive)) {
        conflict = &l;
        break;
      }
    }
    if (conflict == nullptr && !lock->released_ && lock->current_ == Id{}) {
      HS_TRY(lock->WriteLockFile());
      if (!repo.backend().ListSeesCompletedWrites())
        clock.SleepFor(kSettleDelay);  // let a rival's lock become listable
      continue;  // re-check: another process may have locked at the same moment
    }
    if (conflict == nullptr) {
      break;
    }
    std::string holder = Describe(*conflict);
    if (lock->current_ != Id{}) {
      (void)repo.backend().Remove(storage::Handle{FileType::kLock, IdToHex(lock->current_)});
      lock->current_ = Id{};
    }
    auto now = clock.Monotonic();
    if (now >= deadline) {
      std::string message = "repository is locked: " + holder;
      if (opts.wait.count() > 0)
        message += " (waited " + FormatWait(opts.wait) + ")";
      return core::Status(core::ErrorCode::kLocked, message,
                          "wait for that process to finish, or let this command wait for it "
                          "(--retry-lock 10m); if it is gone, run 'hasteward repo unlock'");
    }
    if (!announced) {
      core::LogInfo("waiting for " + holder);
      announced = true;
    }
    // A wait can be minutes long (--retry-lock); SIGINT/SIGTERM ends it at once, holding nothing.
    HS_TRY(core::StopStatus());
    retry = NextRetry(retry);
    clock.SleepFor(std::min<std::chrono::nanoseconds>(retry, deadline - now));
  }
  lock->refresher_ = std::thread([raw = lock.get()] { raw->RefreshLoop(); });
  return lock;
}

void RepoLock::RefreshLoop() {
  std::unique_lock<std::mutex> guard(mu_);
  while (!stop_) {
    if (cv_.wait_for(guard, kRefreshInterval, [this] { return stop_; }))
      break;
    Id old = current_;
    auto exists = repo_.backend().Stat(storage::Handle{FileType::kLock, IdToHex(old)});
    if (!exists.ok()) {
      core::LogError("repository lock was removed by another process; aborting");
      lost_ = true;
      break;
    }
    if (!WriteLockFile().ok()) {
      lost_ = true;
      break;
    }
    (void)repo_.backend().Remove(storage::Handle{FileType::kLock, IdToHex(old)});
  }
}

core::Status RepoLock::Release() {
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (released_)
      return core::Status::Ok();
    released_ = true;
    stop_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable())
    refresher_.join();
  if (current_ == Id{})
    return core::Status::Ok();
  return repo_.backend().Remove(storage::Handle{FileType::kLock, IdToHex(current_)});
}

RepoLock::~RepoLock() {
  (void)Release();
}

}  // namespace hasteward::repo
