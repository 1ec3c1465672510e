#include "repo/lock/repo_lock.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/stop_signal.h"
#include "core/temp_dir.h"
#include "storage/local/local_backend.h"
#include "storage/restic_cli.h"

namespace hasteward::repo {
namespace {

constexpr int64_t kNow = 1700000000;
// Above any pid_max (at most 2^22): no process has this PID in any namespace.
constexpr int64_t kNoSuchPid = int64_t{1} << 30;

const core::ProcessIdentity kOurs{"c75bf1a9-276d-4d3c-b585-2cd9021137c4", 4026532001, 4026531834,
                                  5000};

// This machine as IsLockStale sees it: we are kOurs, and `running` are the live PIDs of our PID
// namespace with their start times.
LockHost FakeHost(std::map<int64_t, uint64_t> running) {
  LockHost host;
  host.self = kOurs;
  host.start_ticks = [running](int64_t pid) -> std::optional<uint64_t> {
    auto it = running.find(pid);
    return it == running.end() ? std::nullopt : std::optional<uint64_t>(it->second);
  };
  return host;
}

LockInfo LockBy(int64_t pid, std::optional<core::ProcessIdentity> process, int64_t age_seconds) {
  LockInfo lock;
  lock.time = GoTime{kNow - age_seconds, 0, 0};
  lock.hostname = LocalHostname();  // host names prove nothing: containers share them
  lock.pid = pid;
  lock.process = std::move(process);
  return lock;
}

core::ProcessIdentity InAnotherPidNamespace(core::ProcessIdentity process) {
  process.pid_namespace += 7;
  return process;
}

// Two containers of one pod (or two pods named alike) share the host name and PIDs: from here,
// the other's PID is either absent or another process. (kNoSuchPid: the old rule, same host name
// and no such process here, called it stale.)
TEST(LockStalenessTest, AnotherPidNamespacesLockIsNotStaleWhateverItsPidLooksLikeHere) {
  auto lock = LockBy(kNoSuchPid, InAnotherPidNamespace(kOurs), 60);
  EXPECT_FALSE(IsLockStale(lock, kNow, FakeHost({})));
  EXPECT_FALSE(IsLockStale(lock, kNow, FakeHost({{kNoSuchPid, 999}})));
  EXPECT_FALSE(IsLockStale(lock, kNow, FakeHost({{kNoSuchPid, kOurs.start_ticks}})));
  auto other_boot = lock;
  other_boot.process = core::ProcessIdentity{"another-boot", kOurs.pid_namespace,
                                             kOurs.time_namespace, kOurs.start_ticks};
  EXPECT_FALSE(IsLockStale(other_boot, kNow, FakeHost({})));
  auto other_time_namespace = lock;
  other_time_namespace.process = kOurs;
  other_time_namespace.process->time_namespace += 1;
  EXPECT_FALSE(IsLockStale(other_time_namespace, kNow, FakeHost({{kNoSuchPid, 999}})))
      << "start times read in another time namespace are shifted";
  EXPECT_TRUE(IsLockStale(lock, kNow + 31 * 60, FakeHost({})))
      << "a holder that stopped refreshing for 30 minutes is gone wherever it ran";
}

TEST(LockStalenessTest, ALockOfAGoneProcessInOurNamespaceIsStale) {
  core::ProcessIdentity holder{kOurs.boot_id, kOurs.pid_namespace, kOurs.time_namespace, 4000};
  EXPECT_TRUE(IsLockStale(LockBy(kNoSuchPid, holder, 60), kNow, FakeHost({{43, 4000}})));
}

TEST(LockStalenessTest, AReusedPidIsStaleAndTheSameProcessIsNot) {
  core::ProcessIdentity holder{kOurs.boot_id, kOurs.pid_namespace, kOurs.time_namespace, 4000};
  EXPECT_TRUE(IsLockStale(LockBy(42, holder, 60), kNow, FakeHost({{42, 4700}})));
  EXPECT_FALSE(IsLockStale(LockBy(42, holder, 60), kNow, FakeHost({{42, 4000}})));
  EXPECT_FALSE(IsLockStale(LockBy(42, holder, 60), kNow, FakeHost({{42, 0}})))
      << "an unreadable start time (hidepid) proves nothing";
}

// restic's locks (and older HASteward's) say only host name and PID: never judged by the PID.
TEST(LockStalenessTest, ALockWithoutTheHoldersIdentityIsJudgedByAgeOnly) {
  EXPECT_FALSE(IsLockStale(LockBy(kNoSuchPid, std::nullopt, 29 * 60), kNow, FakeHost({})));
  EXPECT_TRUE(IsLockStale(LockBy(kNoSuchPid, std::nullopt, 31 * 60), kNow, FakeHost({})));
  LockHost unknown_self = FakeHost({});
  unknown_self.self.reset();
  core::ProcessIdentity holder{kOurs.boot_id, kOurs.pid_namespace, kOurs.time_namespace, 4000};
  EXPECT_FALSE(IsLockStale(LockBy(kNoSuchPid, holder, 60), kNow, unknown_self))
      << "without /proc we cannot tell our namespace";
}

TEST(LockStalenessTest, TheLocalHostKnowsThisProcessAndNoSuchPid) {
  LockHost host = LocalLockHost();
  ASSERT_TRUE(host.self.has_value()) << "/proc tells boot id, PID namespace and start time";
  EXPECT_EQ(host.start_ticks(::getpid()), host.self->start_ticks);
  EXPECT_EQ(host.start_ticks(kNoSuchPid), std::nullopt);
}

class RepoLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-lock-test-").value()));
    InitOptions opts;
    opts.kdf = KdfParams{1024, 8, 1};
    auto r = Repository::Init(std::make_unique<storage::LocalBackend>(dir_->path()),
                              "conformance-password", opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::unique_ptr<Repository> OpenAnother() {
    auto r = Repository::Open(std::make_unique<storage::LocalBackend>(dir_->path()),
                              "conformance-password");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(*r);
  }

  // Saves a lock file as another process would have written it.
  void SaveLock(Repository& repo, const std::string& json) {
    ASSERT_TRUE(repo.SaveUnpacked(storage::FileType::kLock, json).ok());
  }

  std::unique_ptr<core::TempDir> dir_;
};

std::string LockJson(int64_t time, int64_t pid, const std::string& extra) {
  return "{\"time\":\"" + GoTime{time, 0, 0}.Format() + "\",\"exclusive\":true,\"hostname\":\"" +
         LocalHostname() + "\",\"username\":\"root\",\"pid\":" + std::to_string(pid) + extra + "}";
}

std::string IdentityJson(const core::ProcessIdentity& p) {
  return ",\"hasteward\":{\"boot_id\":\"" + p.boot_id +
         "\",\"pid_namespace\":" + std::to_string(p.pid_namespace) +
         ",\"time_namespace\":" + std::to_string(p.time_namespace) +
         ",\"start_ticks\":" + std::to_string(p.start_ticks) + "}";
}

// The prune that removed a running backup's packs: the backup's exclusive-blocking lock carried
// our host name and a PID that is not running in our PID namespace (it runs in another one).
TEST_F(RepoLockTest, UnlockKeepsALockOfOurHostNameFromAnotherPidNamespace) {
  auto repo = OpenAnother();
  auto self = core::SelfIdentity();
  ASSERT_TRUE(self.has_value());
  core::ManualClock clock{std::chrono::system_clock::time_point(std::chrono::seconds(kNow))};
  SaveLock(*repo, LockJson(kNow - 60, kNoSuchPid, IdentityJson(InAnotherPidNamespace(*self))));
  EXPECT_EQ(RemoveLocks(*repo, false, clock).value(), 0);
  auto refused = RepoLock::Acquire(*repo, LockOptions{true, {}, true, &clock});
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kLocked) << refused.status().ToString();
  clock.Advance(std::chrono::minutes(30));
  EXPECT_EQ(RemoveLocks(*repo, false, clock).value(), 1) << "30 minutes without a refresh";
}

TEST_F(RepoLockTest, UnlockRemovesALockOfAGoneProcessInOurNamespaceAtOnce) {
  auto repo = OpenAnother();
  auto self = core::SelfIdentity();
  ASSERT_TRUE(self.has_value());
  core::ManualClock clock{std::chrono::system_clock::time_point(std::chrono::seconds(kNow))};
  SaveLock(*repo, LockJson(kNow - 60, kNoSuchPid, IdentityJson(*self)));
  EXPECT_EQ(RemoveLocks(*repo, false, clock).value(), 1);
}

TEST_F(RepoLockTest, UnlockJudgesAResticLockByItsAgeOnly) {
  auto repo = OpenAnother();
  core::ManualClock clock{std::chrono::system_clock::time_point(std::chrono::seconds(kNow))};
  SaveLock(*repo, LockJson(kNow - 60, kNoSuchPid, ",\"uid\":1000,\"gid\":1000"));
  EXPECT_EQ(RemoveLocks(*repo, false, clock).value(), 0) << "a PID alone names no process";
  clock.Advance(std::chrono::minutes(30));
  EXPECT_EQ(RemoveLocks(*repo, false, clock).value(), 1);
}

TEST_F(RepoLockTest, OurLockFileCarriesOurIdentity) {
  auto repo = OpenAnother();
  auto lock = RepoLock::Acquire(*repo, LockOptions{false, {}, true});
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  auto locks = ListLocks(*repo);
  ASSERT_EQ(locks->size(), 1u);
  EXPECT_EQ(locks->front().pid, ::getpid());
  EXPECT_EQ(locks->front().process, core::SelfIdentity());
}

// Stock restic 0.14 reads our lock files, the "hasteward" object notwithstanding: it names our
// PID when refusing, and `restic unlock` removes one of ours that is old (an unreadable lock
// file it would skip). No live lock of ours is left for `restic unlock`: on this host name it
// would send that PID a SIGHUP.
TEST_F(RepoLockTest, StockResticReadsAndUnlocksOurLocks) {
  std::map<std::string, std::string> env = {{"TZ", "UTC"}};
  auto repo = OpenAnother();
  {
    auto live = RepoLock::Acquire(*repo, LockOptions{false, {}, true});
    ASSERT_TRUE(live.ok());
    auto check = storage::testing::RunRestic(dir_->path(), {"check"}, env);
    ASSERT_FALSE(check.ok());
    EXPECT_NE(check.status().message().find("PID " + std::to_string(::getpid())), std::string::npos)
        << check.status().ToString();
  }
  core::ManualClock clock{std::chrono::system_clock::time_point(std::chrono::seconds(kNow))};
  auto old = RepoLock::Acquire(*repo, LockOptions{false, {}, true, &clock});
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(ListLocks(*repo)->size(), 1u);
  ASSERT_TRUE(storage::testing::RunRestic(dir_->path(), {"unlock"}, env).ok());
  EXPECT_TRUE(ListLocks(*repo)->empty()) << "restic judged our lock stale by its time";
  (void)(*old)->Release();
}

// The local backend skips the settle delay (a List after a completed Save sees it), so racing
// lockers rely on write-then-list alone: at no moment may two of them hold an exclusive lock, and
// each must get its turn within the wait.
TEST_F(RepoLockTest, RacingExclusiveLockersNeverOverlap) {
  constexpr int kLockers = 6;
  constexpr int kRounds = 5;
  std::vector<std::unique_ptr<Repository>> repos;
  for (int i = 0; i < kLockers; ++i)
    repos.push_back(OpenAnother());
  std::atomic<int> holders{0};
  std::atomic<int> max_holders{0};
  std::atomic<int> acquired{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kLockers; ++i) {
    threads.emplace_back([&, i] {
      while (!go) {
      }
      for (int round = 0; round < kRounds; ++round) {
        auto lock = RepoLock::Acquire(*repos[i], LockOptions{true, std::chrono::seconds(60), true});
        ASSERT_TRUE(lock.ok()) << lock.status().ToString();
        int now = ++holders;
        int seen = max_holders.load();
        while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        --holders;
        ASSERT_TRUE((*lock)->Release().ok());
        ++acquired;
      }
    });
  }
  go = true;
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(max_holders.load(), 1);
  EXPECT_EQ(acquired.load(), kLockers * kRounds);
  EXPECT_TRUE(ListLocks(*repos[0])->empty());
}

TEST_F(RepoLockTest, SharedLocksCoexistAndExclusiveWaitsForThem) {
  auto a = OpenAnother();
  auto b = OpenAnother();
  auto shared1 = RepoLock::Acquire(*a, LockOptions{false, {}, true});
  auto shared2 = RepoLock::Acquire(*b, LockOptions{false, {}, true});
  ASSERT_TRUE(shared1.ok() && shared2.ok());
  auto c = OpenAnother();
  auto refused = RepoLock::Acquire(*c, LockOptions{true, {}, true});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kLocked);
  EXPECT_NE(refused.status().message().find("shared lock"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(ListLocks(*c)->size(), 2u) << "the refused locker must remove its own lock file";
}

// A backup told to wait ten minutes for a prune's lock still stops at once on SIGTERM (serve's
// shutdown), holding no lock, instead of being SIGKILLed at the end of its grace.
TEST_F(RepoLockTest, AStopSignalEndsAWaitForALockAndLeavesNoLockFile) {
  auto holder_repo = OpenAnother();
  auto exclusive = RepoLock::Acquire(*holder_repo, LockOptions{true, {}, true});
  ASSERT_TRUE(exclusive.ok()) << exclusive.status().ToString();
  auto waiter_repo = OpenAnother();
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    core::SetStopSignalForTest(SIGTERM);
  });
  auto started = std::chrono::steady_clock::now();
  auto waited = RepoLock::Acquire(*waiter_repo, LockOptions{false, std::chrono::minutes(10), true});
  auto elapsed = std::chrono::steady_clock::now() - started;
  stopper.join();
  core::SetStopSignalForTest(0);
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.status().code(), core::ErrorCode::kTerminated) << waited.status().ToString();
  EXPECT_LT(elapsed, std::chrono::seconds(30));
  EXPECT_EQ(ListLocks(*waiter_repo)->size(), 1u) << "only the exclusive holder's lock remains";
}

}  // namespace
}  // namespace hasteward::repo
