// The archive index against a real local repository: what pushes append, what readers find,
// merging under concurrent writers, a damaged or missing index rebuilt from the snapshots, prune
// removing entries, and reads that survive stale pack positions.
#include "catalog/wal/wal_index.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "catalog/wal/archived_file_reader.h"
#include "catalog/wal/wal_catalog.h"
#include "pitr/pitr_retention.h"
#include "pitr/wal/wal_archive.h"
#include "pitr/wal/wal_dir_test.h"
#include "pitr/wal/wal_retention.h"
#include "repo/maintenance/retention_plan.h"

namespace hasteward::pitr {
namespace {

class WalIndexTest : public WalDirTest {
 protected:
  void SetUp() override { SetUpWalDir("hs-wal-index-test-", "idx"); }

  std::string Name(uint64_t segment) { return archiving_->SegmentFileName(1, segment); }

  // Pushes segment `segment` of timeline 1 alone (nothing queued).
  core::Result<WalPushResult> PushSegment(uint64_t segment, char seed = 's') {
    std::string path = WriteSegment(Name(segment), seed, false);
    auto pushed = PushWal(*repo_, cluster_, *archiving_, path, WalPushOptions{});
    std::filesystem::remove(path);
    return pushed;
  }

  std::vector<std::string> IndexFiles() {
    std::vector<std::string> names;
    for (const auto& entry :
         std::filesystem::directory_iterator(RepoPath() + "/hasteward/archive-index")) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  std::unique_ptr<repo::Repository> OpenAgain() {
    auto backend = storage::OpenBackend(RepoPath());
    EXPECT_TRUE(backend.ok());
    auto repo = repo::Repository::Open(std::move(*backend), "pw");
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    return std::move(*repo);
  }

  // A synthetic entry: enough for the index's own bookkeeping.
  catalog::WalIndexEntry Entry(uint64_t segment) {
    catalog::WalIndexEntry entry;
    entry.name = Name(segment);
    entry.timeline = 1;
    entry.segment = segment;
    entry.size = kSegmentBytes;
    entry.mtime = repo::GoTime{static_cast<int64_t>(1000 + segment), 0, 0};
    return entry;
  }
};

TEST_F(WalIndexTest, EachPushAppendsADeltaAndTheFirstBuildsTheSummary) {
  ASSERT_TRUE(PushSegment(1).ok());
  ASSERT_TRUE(PushSegment(2).ok());
  auto index = catalog::WalIndex::Open(*repo_, cluster_);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_TRUE(index->exists());
  auto summary = index->ReadSummary();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->runs.at(1).size(), 1u);
  EXPECT_EQ(summary->runs.at(1).begin()->second.first, 1u);
  EXPECT_EQ(summary->runs.at(1).begin()->second.last, 2u);
  auto bucket = index->ReadBucket(1, catalog::BucketOf(2));
  ASSERT_TRUE(bucket.ok()) << bucket.status().ToString();
  ASSERT_EQ(bucket->size(), 2u);
  EXPECT_EQ((*bucket)[1].sha256.size(), 64u);
  EXPECT_EQ((*bucket)[1].content.size(), (*bucket)[1].content.size());
  EXPECT_FALSE((*bucket)[1].content.empty());
}

// Pushes append without listing the index again while their own read saw room for one more delta,
// and the push that finds too many merges them: the deltas a reader reads stay bounded.
TEST_F(WalIndexTest, PushesMergeTheDeltasOnceThereAreTooMany) {
  for (uint32_t timeline = 2; timeline < 2 + catalog::kMaxIndexDeltas + 4; ++timeline) {
    std::string path =
        WriteWalFile(archiving_->HistoryFileName(timeline), "1\t0/3000000\tno\n", false);
    auto pushed = PushWal(*repo_, cluster_, *archiving_, path, WalPushOptions{});
    ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
    ASSERT_EQ(pushed->stored, 1u);
  }
  auto index = catalog::WalIndex::Open(*repo_, cluster_);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_LE(index->listed_deltas(), catalog::kMaxIndexDeltas);
  auto summary = index->ReadSummary();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->histories.size(), catalog::kMaxIndexDeltas + 4);
}

// Two writers that append and merge at once never lose an entry: each merge writes its files
// before removing the ones it merged, and readers union what they list.
TEST_F(WalIndexTest, ConcurrentAppendersAndMergesLoseNothing) {
  ASSERT_TRUE(
      catalog::WalIndex::Open(*repo_, cluster_)->Replace({}, {}).ok());  // an empty, complete index
  constexpr int kWriters = 2;
  constexpr uint64_t kPerWriter = 40;
  std::vector<std::thread> writers;
  std::vector<core::Status> failures(kWriters);
  for (int writer = 0; writer < kWriters; ++writer) {
    writers.emplace_back([&, writer] {
      auto repo = OpenAgain();
      for (uint64_t i = 0; i < kPerWriter && failures[writer].ok(); ++i) {
        auto index = catalog::WalIndex::Open(*repo, cluster_);
        failures[writer] = index.ok() ? index->Append({Entry(writer * 1000 + i)}) : index.status();
        if (failures[writer].ok()) {
          failures[writer] = index->Compact(3);
        }
      }
    });
  }
  for (auto& thread : writers) {
    thread.join();
  }
  for (const auto& failure : failures) {
    ASSERT_TRUE(failure.ok()) << failure.ToString();
  }
  auto all = catalog::WithIndex(*repo_, cluster_,
                                [](catalog::WalIndex& index) { return index.ReadAll(); });
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), kWriters * kPerWriter);
  auto index = catalog::WalIndex::Open(*repo_, cluster_);
  EXPECT_LE(index->listed_files(), 1 + 3 + 2 + 2 * 4u) << "merges keep the file count bounded";
}

TEST_F(WalIndexTest, ADamagedFileIsRebuiltFromTheSnapshotsNeverAWrongAnswer) {
  ASSERT_TRUE(PushSegment(3).ok());
  ASSERT_TRUE(PushSegment(4).ok());
  for (const std::string& name : IndexFiles()) {
    std::ofstream(RepoPath() + "/hasteward/archive-index/" + name, std::ios::trunc) << "torn";
  }
  auto catalog = catalog::WalCatalog::LoadFiles(*repo_, cluster_, *archiving_,
                                                {*archiving_->ParseFileName(Name(3))});
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_NE(catalog->Find(Name(3)), nullptr);
  EXPECT_NE(catalog->Find(Name(4)), nullptr);
  auto index = catalog::WalIndex::Open(*repo_, cluster_);
  ASSERT_TRUE(index.ok());
  EXPECT_TRUE(index->ReadAll().ok()) << "the damaged files were replaced";
}

// A repository written before the index existed (or whose index was removed) gets one built by
// its first reader, with everything its snapshots hold.
TEST_F(WalIndexTest, ARepositoryWithoutIndexIsIndexedByItsFirstStatusOrPush) {
  ASSERT_TRUE(PushSegment(5).ok());
  ASSERT_TRUE(PushSegment(6).ok());
  std::filesystem::remove_all(RepoPath() + "/hasteward/archive-index");
  auto summary = catalog::WalCatalog::LoadSummary(*repo_, cluster_, *archiving_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->files(), 2u);
  EXPECT_FALSE(IndexFiles().empty());
  auto again = PushSegment(6);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->already_archived);  // compared by bytes: a rebuilt entry has no hash
}

// The re-push check compares the recorded hash: with every pack gone it still answers.
TEST_F(WalIndexTest, ARePushComparesTheRecordedHashWithoutReadingTheSegment) {
  ASSERT_TRUE(PushSegment(7, 'a').ok());
  std::filesystem::remove_all(RepoPath() + "/data");
  auto same = PushSegment(7, 'a');
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->already_archived);
  auto other = PushSegment(7, 'b');
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), core::ErrorCode::kSafetyStop) << other.status().ToString();
}

// Prune's hook removes the pieces it forgets from the index before it deletes them.
TEST_F(WalIndexTest, PruneRemovesTheEntriesOfTheSnapshotsItDeletes) {
  auto first = PushSegment(8);
  auto second = PushSegment(9);
  ASSERT_TRUE(first.ok() && second.ok());
  repo::PlanGroup group;
  group.engine = "postgres";
  group.namespace_name = cluster_.ns;
  group.cluster = cluster_.name;
  group.type = repo::SnapshotType::kWal;
  group.snapshots = {{first->snapshot_id, "", "", false, {}},
                     {second->snapshot_id, "", "", true, {"kept"}}};
  ASSERT_TRUE(PitrRetention().BeforeRemoval(*repo_, group).ok());
  auto catalog = catalog::WalCatalog::Load(*repo_, cluster_, *archiving_);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ(catalog->Find(Name(8)), nullptr);
  EXPECT_NE(catalog->Find(Name(9)), nullptr);
}

// Stock restic's forget removes snapshots without telling the index: a reader that finds an entry
// naming a removed snapshot rebuilds, so a gap is never hidden and a re-push stores the file again.
TEST_F(WalIndexTest, ASnapshotRemovedBehindTheIndexsBackIsNotTakenForArchived) {
  auto forgotten = PushSegment(11, 'f');
  ASSERT_TRUE(forgotten.ok() && PushSegment(12).ok());
  std::filesystem::remove(RepoPath() + "/snapshots/" + forgotten->snapshot_id);
  auto catalog = catalog::WalCatalog::Load(*repo_, cluster_, *archiving_);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ(catalog->Find(Name(11)), nullptr);
  EXPECT_NE(catalog->Find(Name(12)), nullptr);
  auto pushed = PushSegment(13);
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  std::filesystem::remove(RepoPath() + "/snapshots/" + pushed->snapshot_id);
  auto again = PushSegment(13);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->already_archived) << "its only copy was forgotten";
}

// A repack moves blobs: a recorded position is only a hint, checked against the blob's ID.
TEST_F(WalIndexTest, AStalePackPositionIsReadThroughThePackIndexInstead) {
  ASSERT_TRUE(PushSegment(10, 'r').ok());
  auto catalog = catalog::WalCatalog::LoadFiles(*repo_, cluster_, *archiving_,
                                                {*archiving_->ParseFileName(Name(10))});
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  catalog::ArchivedFile gone = *catalog->Find(Name(10));
  catalog::ArchivedFile shifted = gone;
  ASSERT_FALSE(gone.locations.empty());
  gone.locations[0].pack[0] ^= 0xff;  // a pack prune removed
  shifted.locations[0].offset += 1;   // other bytes in a pack that still exists
  for (const catalog::ArchivedFile* stale : {&gone, &shifted}) {
    core::MemorySink out;
    core::Status read = catalog::DumpArchived(*repo_, *stale, out);
    ASSERT_TRUE(read.ok()) << read.ToString();
    ASSERT_EQ(out.data().size(), kSegmentBytes);
    EXPECT_EQ(out.data()[100], 'r');
  }
}

}  // namespace
}  // namespace hasteward::pitr
