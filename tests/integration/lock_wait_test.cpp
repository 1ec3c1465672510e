// Defect k: a backup that meets another job's exclusive repository lock (the retention prune of
// another cluster sharing the repository) waits for it within --retry-lock instead of failing
// at once, and past the bound fails with the documented lock exit code naming the holder. The
// holder here is an exclusive lock taken in this test process, as prune takes it.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/temp_dir.h"
#include "repo/lock/repo_lock.h"
#include "storage/local/local_backend.h"
#include "support/command.h"

namespace hasteward::testing {
namespace {

constexpr int kLockedExitCode = 11;  // docs/exit-codes.md

class LockWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ =
        std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-lockwait-").value()));
    repo_dir_ = tmp_->path() + "/repo";
    env_ = {{"RESTIC_PASSWORD", "lock-wait-pw"}, {"HASTEWARD_BACKUPS_PATH", repo_dir_}};
    ASSERT_EQ(Hs({"repo", "init"}).exit_code, 0);
    input_ = WriteFile(tmp_->path() + "/in.sql", std::string(3 << 20, 'x'));
    auto repo =
        repo::Repository::Open(std::make_unique<storage::LocalBackend>(repo_dir_), "lock-wait-pw");
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    repo_ = std::move(*repo);
  }

  CmdResult Hs(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), HastewardBin());
    return RunCommand(args, env_, in);
  }
  CmdResult Backup(const std::string& retry_lock) {
    return Hs(
        {"backup", "--stdin", "--stdin-filename", "ns/db/dump.sql", "--retry-lock", retry_lock},
        input_);
  }
  std::unique_ptr<repo::RepoLock> HoldExclusiveLock() {
    repo::LockOptions options;
    options.exclusive = true;
    auto lock = repo::RepoLock::Acquire(*repo_, options);
    EXPECT_TRUE(lock.ok()) << lock.status().ToString();
    return lock.ok() ? std::move(*lock) : nullptr;
  }
  int SnapshotCount() {
    auto snapshots = repo_->ListSnapshots();
    EXPECT_TRUE(snapshots.ok());
    return snapshots.ok() ? static_cast<int>(snapshots->size()) : -1;
  }

  std::unique_ptr<core::TempDir> tmp_;
  std::string repo_dir_;
  std::string input_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<repo::Repository> repo_;
};

TEST_F(LockWaitTest, BackupWaitsForAPruneAndSucceedsAfterIt) {
  auto prune = HoldExclusiveLock();
  ASSERT_NE(prune, nullptr);
  std::thread release([&prune] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    ASSERT_TRUE(prune->Release().ok());
  });
  auto started = std::chrono::steady_clock::now();
  auto backup = Backup("60s");
  auto waited = std::chrono::steady_clock::now() - started;
  release.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  EXPECT_GE(waited, std::chrono::seconds(2)) << "the backup cannot have run beside the prune";
  EXPECT_EQ(SnapshotCount(), 1);
}

TEST_F(LockWaitTest, BackupWaitingPastTheBoundFailsWithTheLockExitCodeNamingTheHolder) {
  auto prune = HoldExclusiveLock();
  ASSERT_NE(prune, nullptr);
  auto backup = Backup("2s");
  EXPECT_EQ(backup.exit_code, kLockedExitCode) << backup.out << backup.err;
  std::string holder = "held by PID " + std::to_string(::getpid());
  EXPECT_NE(backup.err.find(holder), std::string::npos) << backup.err;
  EXPECT_NE(backup.err.find("waited 2s"), std::string::npos) << backup.err;
  EXPECT_EQ(SnapshotCount(), 0);
}

TEST_F(LockWaitTest, WithoutRetryLockABackupFailsAtOnceAsBefore) {
  auto prune = HoldExclusiveLock();
  ASSERT_NE(prune, nullptr);
  auto started = std::chrono::steady_clock::now();
  auto backup = Hs({"backup", "--stdin", "--stdin-filename", "ns/db/dump.sql"}, input_);
  EXPECT_EQ(backup.exit_code, kLockedExitCode) << backup.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

}  // namespace
}  // namespace hasteward::testing
