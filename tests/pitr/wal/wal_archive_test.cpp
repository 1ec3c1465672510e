// wal-push / wal-fetch against a real local repository, with a directory laid out like a
// server's pg_wal (segments and archive_status/*.ready), using the PostgreSQL engine's archiving.
#include "pitr/wal/wal_archive.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "catalog/wal/wal_catalog.h"
#include "core/fd.h"
#include "core/temp_dir.h"
#include "engine/archiving.h"
#include "engine/engine.h"
#include "pitr/wal/wal_dir_test.h"
#include "storage/registry.h"

namespace hasteward::pitr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace wal_archive_test {
namespace {

constexpr size_t kSegment = size_t{16} * 1024 * 1024;

class WalArchiveTest : public WalDirTest {
 protected:
  void SetUp() override { SetUpWalDir("hs-wal-test-", "wal"); }

  core::Result<WalPushResult> Push(const std::string& path) {
    return PushWal(*repo_, cluster_, *archiving_, path, WalPushOptions{});
  }

  size_t WalSnapshots() {
    auto listed = repo_->ListSnapshots();
    return listed.ok() ? listed->size() : 0;
  }

  RepositoryOpener Opener() {
    return [this]() -> core::Result<std::unique_ptr<repo::Repository>> {
      ++opens_;
      HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(RepoPath()));
      return repo::Repository::Open(std::move(backend), "pw");
    };
  }

  int opens_ = 0;
};

TEST_F(WalArchiveTest, PushStoresQueuedSegmentsInTheSameSnapshotAndFindsThemLater) {
  std::string first = WriteSegment("000000010000000000000001", 'a', true);
  std::string second = WriteSegment("000000010000000000000002", 'b', true);
  WriteSegment("000000010000000000000003", 'c', true);
  auto pushed = Push(first);
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->stored, 3u);
  EXPECT_EQ(WalSnapshots(), 1u);

  auto again = Push(second);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->already_archived);
  EXPECT_EQ(WalSnapshots(), 1u);
  // The queue is only read: acknowledging is the server's job after its own call succeeds.
  EXPECT_TRUE(std::filesystem::exists(WalDir() + "/archive_status/000000010000000000000002.ready"));
}

TEST_F(WalArchiveTest, SameBytesAgainSucceedOtherBytesAreRefusedAndNothingIsWritten) {
  std::string path = WriteSegment("000000010000000000000004", 'x', false);
  ASSERT_TRUE(Push(path).ok());
  auto same = Push(path);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->already_archived);

  WriteSegment("000000010000000000000004", 'y', false);
  auto other = Push(path);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), core::ErrorCode::kSafetyStop) << other.status().ToString();
  EXPECT_EQ(WalSnapshots(), 1u);
}

TEST_F(WalArchiveTest, HistoryFileIsNeverOverwritten) {
  std::string path = WalDir() + "/00000002.history";
  std::ofstream(path) << "1\t0/3000000\tbefore 2026-01-01 00:00:00+00\n";
  ASSERT_TRUE(Push(path).ok());
  std::ofstream(path) << "1\t0/5000000\tno recovery target specified\n";
  auto other = Push(path);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), core::ErrorCode::kSafetyStop);
}

TEST_F(WalArchiveTest, TruncatedSegmentIsRefused) {
  std::string path = WalDir() + "/000000010000000000000009";
  std::ofstream(path) << "short";
  auto pushed = Push(path);
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(WalSnapshots(), 0u);
}

TEST_F(WalArchiveTest, FetchPrefetchesFollowingSegmentsAndServesThemWithoutTheRepository) {
  for (int i = 1; i <= 4; ++i) {
    std::string name = "00000001000000000000000" + std::to_string(i);
    ASSERT_TRUE(Push(WriteSegment(name, static_cast<char>('a' + i), false)).ok());
  }
  std::string destination = dir_->path() + "/restore/pg_wal/RECOVERYXLOG";
  std::filesystem::create_directories(dir_->path() + "/restore/pg_wal");
  WalFetchOptions options;
  auto first =
      FetchWal(Opener(), cluster_, *archiving_, "000000010000000000000001", destination, options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->prefetched, 3u);
  auto content = core::ReadFileToString(destination);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(content->substr(0, 24), "000000010000000000000001");
  EXPECT_EQ(content->size(), kSegment);

  int opens_before = opens_;
  auto second =
      FetchWal(Opener(), cluster_, *archiving_, "000000010000000000000002", destination, options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->from_prefetch);
  EXPECT_EQ(opens_, opens_before);
  EXPECT_EQ(core::ReadFileToString(destination)->substr(0, 24), "000000010000000000000002");
}

TEST_F(WalArchiveTest, FetchOfAMissingFileIsNotFound) {
  std::string destination = dir_->path() + "/RECOVERYXLOG";
  auto missing = FetchWal(Opener(), cluster_, *archiving_, "00000003.history", destination, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(destination));
}

}  // namespace
}  // namespace wal_archive_test
}  // namespace hasteward::pitr
