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

namespace hasteward::repo {
namespace {

class RepoLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-lock-test-").value()));
    InitOptions opts;
    opts.kdf = KdfParams{1024, 8, 1};
    auto r = Repository::Init(std::make_unique<storage::LocalBackend>(dir_->path()), "pw", opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::unique_ptr<Repository> OpenAnother() {
    auto r = Repository::Open(std::make_unique<storage::LocalBackend>(dir_->path()), "pw");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(*r);
  }

  std::unique_ptr<core::TempDir> dir_;
};

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
