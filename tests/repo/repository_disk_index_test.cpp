// A repository whose blob lookups go through the on-disk index (IndexMode::kDisk): backup
// deduplicates against the stored blobs and against the ones it wrote itself (the overlay),
// check with --read-data passes, and blobs load, as with the in-memory index.
#include <random>

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/temp_dir.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/check/checker.h"
#include "repo/repository.h"
#include "storage/local/local_backend.h"

namespace hasteward::repo {
namespace {

class RepositoryDiskIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions opts;
    opts.kdf = KdfParams{1024, 8, 1};  // fast for tests
    ASSERT_TRUE(Repository::Init(Backend(), "pw", opts).ok());
    std::mt19937 rng(kSeed);
    std::printf("seed %u\n", kSeed);
    data_.resize(size_t{3} << 20);
    for (auto& byte : data_) {
      byte = static_cast<uint8_t>(rng());
    }
  }
  std::unique_ptr<storage::Backend> Backend() {
    return std::make_unique<storage::LocalBackend>(dir_.path() + "/repo");
  }
  // Opens the repository as a new process would, with lookups on disk.
  std::unique_ptr<Repository> OpenOnDisk(IndexMode mode = IndexMode::kDisk,
                                         const std::string& cache = "/cache") {
    auto repo = Repository::Open(Backend(), "pw");
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    IndexOptions options;
    options.mode = mode;
    options.cache_dir = dir_.path() + cache;
    options.disk_threshold_bytes = 0;  // auto: on disk as soon as there is an index file
    (*repo)->SetIndexOptions(options);
    return std::move(*repo);
  }
  // Backs up `copies` files of the same content in one snapshot.
  BackupSummary BackUp(Repository& repo, int copies) {
    auto writer = SnapshotWriter::Open(repo, SnapshotWriterOptions{});
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    for (int i = 0; i < copies; ++i) {
      EXPECT_TRUE((*writer)->BeginFile("copy" + std::to_string(i)).ok());
      EXPECT_TRUE((*writer)->Append(data_).ok());
      EXPECT_TRUE((*writer)->FinishFile().ok());
    }
    auto summary = (*writer)->Commit(CommitOptions{});
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return summary.ok() ? *summary : BackupSummary{};
  }

  static constexpr uint32_t kSeed = 3333;
  core::TempDir dir_ = std::move(core::TempDir::Create("hs-repo-disk-index-").value());
  core::Bytes data_;
};

TEST_F(RepositoryDiskIndexTest, BackupStoresEachBlobOnceAcrossRunsAndWithinOne) {
  auto first = OpenOnDisk();
  BackupSummary once = BackUp(*first, 2);
  EXPECT_TRUE(first->blob_index_on_disk());
  EXPECT_GT(once.chunks_new, 0U);
  EXPECT_EQ(once.chunks_new * 2, once.chunks);  // the second copy found the first in the overlay
  auto second = OpenOnDisk();
  BackupSummary again = BackUp(*second, 1);
  EXPECT_TRUE(second->blob_index_on_disk());
  EXPECT_EQ(again.chunks_new, 0U);
}

TEST_F(RepositoryDiskIndexTest, CheckWithReadDataPassesAndBlobsLoad) {
  BackUp(*OpenOnDisk(), 1);
  BackUp(*OpenOnDisk(), 1);
  auto repo = OpenOnDisk();
  auto report = CheckRepository(*repo, CheckOptions{true, 2});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(repo->blob_index_on_disk());
  EXPECT_TRUE(report->ok()) << (report->errors.empty() ? "" : report->errors[0]);
  EXPECT_EQ(report->snapshots, 2U);
  EXPECT_GT(report->blobs, 0U);
  auto snapshots = repo->ListSnapshots();
  ASSERT_TRUE(snapshots.ok());
  EXPECT_TRUE(repo->LoadBlob(snapshots->front().tree, BlobType::kTree).ok());
}

TEST_F(RepositoryDiskIndexTest, CheckOnDiskReportsAMissingDataBlob) {
  BackUp(*OpenOnDisk(), 1);
  auto repo = OpenOnDisk();
  ASSERT_TRUE(repo->LoadIndex().ok());
  for (const Id& file : repo->index_files()) {
    ASSERT_TRUE(
        repo->backend().Remove(storage::Handle{storage::FileType::kIndex, IdToHex(file)}).ok());
  }
  auto fresh = OpenOnDisk();
  auto report = CheckRepository(*fresh, CheckOptions{});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->ok());
}

TEST_F(RepositoryDiskIndexTest, AnUnwritableCacheFallsBackToMemoryInAutoAndFailsInDisk) {
  BackUp(*OpenOnDisk(), 1);
  ASSERT_TRUE(
      core::WriteFileAtomically(dir_.path() + "/file", core::AsBytes(std::string("x"))).ok());
  auto automatic = OpenOnDisk(IndexMode::kAuto, "/file/cache");
  BackupSummary again = BackUp(*automatic, 1);
  EXPECT_FALSE(automatic->blob_index_on_disk());
  EXPECT_EQ(again.chunks_new, 0U);
  auto forced = OpenOnDisk(IndexMode::kDisk, "/file/cache");
  EXPECT_FALSE(forced->LoadBlobIndex().ok());
}

}  // namespace
}  // namespace hasteward::repo
