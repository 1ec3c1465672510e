// The archive index's version-2 layout against a real local repository: the base backups it
// records (by a backup, forgotten by prune, restored by a rebuild), a `pitr status` that reads the
// summary and the deltas but no bucket file and no snapshot file, and an index of the version-1
// layout rebuilt in the new one.
#include <filesystem>
#include <map>
#include <utility>

#include <gtest/gtest.h>

#include "catalog/wal/wal_bases.h"
#include "catalog/wal/wal_catalog.h"
#include "catalog/wal/wal_index.h"
#include "jobs/jobs.h"
#include "pitr/archive.h"
#include "pitr/pitr_retention.h"
#include "pitr/wal/wal_archive.h"
#include "pitr/wal/wal_dir_test.h"
#include "pitr/wal/wal_status.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/compress/zstd_codec.h"
#include "repo/maintenance/retention_plan.h"

namespace hasteward::pitr {
namespace {

enum class Op { kLoad, kStat, kList };

// The local backend, counting loads, stats and listings per file type.
class CountingBackend : public storage::Backend {
 public:
  explicit CountingBackend(std::unique_ptr<storage::Backend> inner) : inner_(std::move(inner)) {}
  std::string Location() const override { return inner_->Location(); }
  core::Status Create() override { return inner_->Create(); }
  core::Status Save(const storage::Handle& h, core::ByteView data) override {
    return inner_->Save(h, data);
  }
  core::Status Load(const storage::Handle& h, uint64_t offset, uint64_t length,
                    core::Bytes* out) override {
    ++calls[{Op::kLoad, h.type}];
    return inner_->Load(h, offset, length, out);
  }
  core::Result<storage::FileInfo> Stat(const storage::Handle& h) override {
    ++calls[{Op::kStat, h.type}];
    return inner_->Stat(h);
  }
  core::Status List(storage::FileType t,
                    const std::function<core::Status(const storage::FileInfo&)>& fn) override {
    ++calls[{Op::kList, t}];
    return inner_->List(t, fn);
  }
  core::Status Remove(const storage::Handle& h) override { return inner_->Remove(h); }
  int Connections() const override { return 1; }  // calls is not locked

  int Count(Op op, storage::FileType type) const {
    auto it = calls.find({op, type});
    return it == calls.end() ? 0 : it->second;
  }
  std::map<std::pair<Op, storage::FileType>, int> calls;

 private:
  std::unique_ptr<storage::Backend> inner_;
};

class WalIndexBasesTest : public WalDirTest {
 protected:
  void SetUp() override { SetUpWalDir("hs-wal-index-bases-test-", "bases"); }

  std::string Name(uint64_t segment) { return archiving_->SegmentFileName(1, segment); }

  catalog::WalIndexEntry Entry(uint64_t segment, const repo::Id& snapshot) {
    catalog::WalIndexEntry entry;
    entry.name = Name(segment);
    entry.timeline = 1;
    entry.segment = segment;
    entry.size = kSegmentBytes;
    entry.mtime = repo::GoTime{static_cast<int64_t>(1000 + segment), 0, 0};
    entry.snapshot = snapshot;
    return entry;
  }

  // A native base snapshot consistent in segment 1 of timeline 1 (what `backup --method native`
  // commits, without the data directory).
  repo::Id CommitBase(int64_t time) {
    auto writer = repo::SnapshotWriter::Open(*repo_, repo::SnapshotWriterOptions{});
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    EXPECT_TRUE((*writer)->BeginFile(cluster_.ns + "/shop/data/backup_label").ok());
    EXPECT_TRUE((*writer)->Append(core::AsBytes(std::string("label"))).ok());
    EXPECT_TRUE((*writer)->FinishFile().ok());
    repo::CommitOptions commit;
    commit.tags = jobs::SnapshotTags(cluster_, repo::SnapshotType::kBackup, "");
    for (const char* tag :
         {"method=native", "timeline=1", "start_lsn=0/1000028", "stop_lsn=0/1000100"}) {
      commit.tags.emplace_back(tag);
    }
    commit.time = repo::GoTime{time, 0, 0};
    auto summary = (*writer)->Commit(commit);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return summary->snapshot_id;
  }

  core::Status RecordBase(const repo::Id& snapshot) {
    return catalog::RecordBaseBackup(*repo_, cluster_, engine_->archiving(), snapshot);
  }

  // The index holding segments 1..`segments` (three buckets for 600), merged: as pushes leave it.
  void IndexSegments(uint64_t segments, const repo::Id& snapshot) {
    std::vector<catalog::WalIndexEntry> entries;
    for (uint64_t segment = 1; segment <= segments; ++segment) {
      entries.push_back(Entry(segment, snapshot));
    }
    ASSERT_TRUE(catalog::WalIndex::Open(*repo_, cluster_)->Replace(entries, {}).ok());
  }

  std::vector<catalog::IndexedBase> IndexedBases() {
    auto index = catalog::WalIndex::Open(*repo_, cluster_);
    EXPECT_TRUE(index.ok());
    auto summary = index->ReadSummary();
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    std::vector<catalog::IndexedBase> bases;
    for (const auto& [id, base] : summary->bases) {
      bases.push_back(base);
    }
    return bases;
  }

  std::pair<std::unique_ptr<repo::Repository>, CountingBackend*> OpenCounted() {
    auto backend = storage::OpenBackend(RepoPath());
    EXPECT_TRUE(backend.ok());
    auto counting = std::make_unique<CountingBackend>(std::move(*backend));
    CountingBackend* counts = counting.get();
    auto repo = repo::Repository::Open(std::move(counting), "pw");
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    counts->calls.clear();
    return {std::move(*repo), counts};
  }
};

// Status reads the summary and the deltas: the bases and the runs are there, so it neither lists
// nor reads a bucket file, nor reads a snapshot file (it only checks the base's still exists).
TEST_F(WalIndexBasesTest, StatusReadsNoBucketAndNoSnapshotFile) {
  const repo::Id base = CommitBase(900);
  IndexSegments(600, base);
  ASSERT_TRUE(RecordBase(base).ok());  // a delta, not merged

  auto [counted, counts] = OpenCounted();
  auto status = ReadPitrStatus(*counted, cluster_, *engine_);
  ASSERT_TRUE(status.ok()) << status.status().ToString();

  ASSERT_EQ(status->windows.size(), 1u);
  EXPECT_EQ(status->windows[0].base.snapshot.id, base);
  EXPECT_TRUE(status->windows[0].reach.starts);
  EXPECT_EQ(status->windows[0].reach.last, 600u);
  EXPECT_EQ(status->windows[0].end_time.unix_seconds, 1600);
  EXPECT_EQ(status->wal_files, 600u);
  EXPECT_EQ(counts->Count(Op::kList, storage::FileType::kArchiveBucket), 0);
  EXPECT_EQ(counts->Count(Op::kLoad, storage::FileType::kArchiveBucket), 0);
  EXPECT_EQ(counts->Count(Op::kList, storage::FileType::kSnapshot), 0);
  EXPECT_EQ(counts->Count(Op::kLoad, storage::FileType::kSnapshot), 0);
  EXPECT_EQ(counts->Count(Op::kList, storage::FileType::kArchiveIndex), 1);
  EXPECT_EQ(counts->Count(Op::kLoad, storage::FileType::kArchiveIndex), 2)  // summary + delta
      << "status reads the summary and the unmerged deltas only";
  EXPECT_EQ(counts->Count(Op::kStat, storage::FileType::kSnapshot), 1) << "the base exists";
}

// Across a timeline switch status needs the times of the segments around it, which the summary
// does not keep: it reads that one bucket, found through the summary, and lists none.
TEST_F(WalIndexBasesTest, AcrossASwitchStatusReadsOnlyTheBucketAroundIt) {
  const repo::Id base = CommitBase(900);
  std::vector<catalog::WalIndexEntry> entries;
  for (uint64_t segment = 1; segment <= 600; ++segment) {
    catalog::WalIndexEntry entry = Entry(segment, base);
    if (segment >= 3) {  // timeline 2 begins in segment 3 (its history: switch at 0/3000000)
      entry.timeline = 2;
      entry.name = archiving_->SegmentFileName(2, segment);
    }
    entries.push_back(entry);
  }
  ASSERT_TRUE(catalog::WalIndex::Open(*repo_, cluster_)->Replace(entries, {}).ok());
  ASSERT_TRUE(RecordBase(base).ok());
  std::string history =
      WriteWalFile(archiving_->HistoryFileName(2), "1\t0/3000000\tno recovery target\n", false);
  ASSERT_TRUE(PushWal(*repo_, cluster_, *archiving_, history, WalPushOptions{}).ok());

  auto [counted, counts] = OpenCounted();
  auto status = ReadPitrStatus(*counted, cluster_, *engine_);
  ASSERT_TRUE(status.ok()) << status.status().ToString();

  ASSERT_EQ(status->windows.size(), 1u);
  EXPECT_EQ(status->windows[0].path.target(), 2u);
  EXPECT_EQ(status->windows[0].last_timeline, 2u);
  EXPECT_EQ(status->windows[0].reach.last, 600u);
  EXPECT_EQ(counts->Count(Op::kList, storage::FileType::kArchiveBucket), 0);
  EXPECT_EQ(counts->Count(Op::kLoad, storage::FileType::kArchiveBucket), 1)
      << "the bucket of timeline 1 holding segments 2 and 3";
  EXPECT_EQ(counts->Count(Op::kLoad, storage::FileType::kSnapshot), 0);
}

// A native backup records its base for an engine with a WAL archive only (the job passes the
// engine's optional capability): a MariaDB base is never written into a WAL index.
TEST_F(WalIndexBasesTest, ABaseIsRecordedOnlyForAnEngineWithAWalArchive) {
  repo::Id base = CommitBase(1000);
  ASSERT_TRUE(catalog::WalIndex::Open(*repo_, cluster_)->Replace({Entry(1, base)}, {}).ok());
  ASSERT_TRUE(catalog::RecordBaseBackup(*repo_, cluster_, nullptr, base).ok());
  auto without = catalog::WalCatalog::LoadSummary(*repo_, cluster_, *archiving_);
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  ASSERT_TRUE(without->indexed_bases().has_value());
  EXPECT_TRUE(without->indexed_bases()->empty());

  ASSERT_TRUE(RecordBase(base).ok());
  auto with = catalog::WalCatalog::LoadSummary(*repo_, cluster_, *archiving_);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  ASSERT_TRUE(with->indexed_bases().has_value());
  ASSERT_EQ(with->indexed_bases()->size(), 1u);
  EXPECT_EQ(with->indexed_bases()->front().snapshot, base);
}

// A fetch finds its bucket through the summary, without listing the buckets.
TEST_F(WalIndexBasesTest, AFetchReadsOneBucketWithoutListingThem) {
  IndexSegments(600, CommitBase(900));
  auto [counted, counts] = OpenCounted();
  auto catalog = catalog::WalCatalog::LoadFiles(*counted, cluster_, *archiving_,
                                                {*archiving_->ParseFileName(Name(300))});
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_NE(catalog->Find(Name(300)), nullptr);
  EXPECT_EQ(counts->Count(Op::kList, storage::FileType::kArchiveBucket), 0);
  EXPECT_EQ(counts->Count(Op::kLoad, storage::FileType::kArchiveBucket), 1);
}

// A native backup records its base (a delta, then merged into the summary); prune forgetting the
// base's snapshot removes it from the index before the snapshot goes.
TEST_F(WalIndexBasesTest, BasesAreRecordedByABackupAndForgottenByPrune) {
  const repo::Id older = CommitBase(900);
  const repo::Id newer = CommitBase(950);
  IndexSegments(10, older);
  ASSERT_TRUE(RecordBase(older).ok());
  ASSERT_TRUE(RecordBase(newer).ok());
  ASSERT_TRUE(catalog::WalIndex::Open(*repo_, cluster_)->Compact(0).ok());
  ASSERT_EQ(IndexedBases().size(), 2u);

  repo::PlanGroup group;
  group.engine = platform::EngineKindName(cluster_.engine);
  group.namespace_name = cluster_.ns;
  group.cluster = cluster_.name;
  group.type = repo::SnapshotType::kBackup;
  group.snapshots = {{repo::IdToHex(newer), "", "", true, {"kept"}},
                     {repo::IdToHex(older), "", "", false, {}}};
  ASSERT_TRUE(PitrRetention().BeforeRemoval(*repo_, group).ok());

  std::vector<catalog::IndexedBase> bases = IndexedBases();
  ASSERT_EQ(bases.size(), 1u);
  EXPECT_EQ(bases[0].snapshot, newer);
  EXPECT_EQ(bases[0].stop, 0x1000100u);
  EXPECT_EQ(bases[0].time.unix_seconds, 950);
}

// A base the index lacks (made by an older version, or its record failed) is not shown until the
// index is rebuilt — never a wrong window — and a rebuild reads it from the snapshots.
TEST_F(WalIndexBasesTest, ARebuildRestoresTheBasesFromTheSnapshots) {
  IndexSegments(10, CommitBase(900));  // recorded by no backup
  auto before = ReadPitrStatus(*repo_, cluster_, *engine_);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_TRUE(before->windows.empty());

  std::filesystem::remove_all(RepoPath() + "/hasteward/archive-index");
  auto after = ReadPitrStatus(*repo_, cluster_, *engine_);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->windows.size(), 1u);
  EXPECT_EQ(after->windows[0].base.stop, 0x1000100u);
  EXPECT_EQ(IndexedBases().size(), 1u) << "the rebuilt index holds the base";
}

// A base removed behind the index's back (stock restic's forget) makes status rebuild the index:
// its window is never shown for a snapshot no restore can use.
TEST_F(WalIndexBasesTest, ABaseForgottenByOtherMeansIsNotShown) {
  const repo::Id base = CommitBase(900);
  IndexSegments(10, base);
  ASSERT_TRUE(RecordBase(base).ok());
  std::filesystem::remove(RepoPath() + "/snapshots/" + repo::IdToHex(base));
  auto status = ReadPitrStatus(*repo_, cluster_, *engine_);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_TRUE(status->windows.empty());
  EXPECT_TRUE(IndexedBases().empty());
}

// An index of the version-1 layout (its summary a version-1 file, its buckets beside it in
// hasteward/archive-index/) is rebuilt in the new layout by its first reader, never answered from.
TEST_F(WalIndexBasesTest, AVersionOneIndexIsRebuiltInTheNewLayout) {
  const repo::Id base = CommitBase(900);
  const std::string dir = RepoPath() + "/hasteward/archive-index/";
  std::filesystem::create_directories(dir);
  const std::string key =
      repo::IdToHex(
          repo::Sha256(core::AsBytes(std::string(platform::EngineKindName(cluster_.engine)) + "/" +
                                     cluster_.ns + "/" + cluster_.name)))
          .substr(0, 16);
  const std::string json =
      std::string(R"({"version":1,"cluster":")") + cluster_.ns + "/" + cluster_.name +
      R"(","part":"summary","summary":{"runs":[],"histories":[],"others":[]}})";
  core::Bytes compressed;
  repo::ZstdCompressAppend(core::AsBytes(json), 3, &compressed);
  const std::string summary = key + "-s-00aa.idx";
  const std::string bucket = key + "-b-00000001-0000000000000000-00bb.idx";
  ASSERT_TRUE(repo_->backend()
                  .Save({storage::FileType::kArchiveIndex, summary},
                        repo::Encrypt(repo_->key(), compressed))
                  .ok());
  ASSERT_TRUE(
      repo_->backend()
          .Save({storage::FileType::kArchiveIndex, bucket}, repo::Encrypt(repo_->key(), compressed))
          .ok());

  auto status = ReadPitrStatus(*repo_, cluster_, *engine_);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  ASSERT_EQ(status->windows.size(), 1u) << "the base, read from the snapshots by the rebuild";
  EXPECT_EQ(status->windows[0].base.snapshot.id, base);
  EXPECT_FALSE(std::filesystem::exists(dir + summary));
  EXPECT_FALSE(std::filesystem::exists(dir + bucket));
  auto index = catalog::WalIndex::Open(*repo_, cluster_);
  ASSERT_TRUE(index.ok());
  EXPECT_TRUE(index->exists());
}

}  // namespace
}  // namespace hasteward::pitr
