// Discovery from snapshot metadata: the newest backup by recorded end (never by start time, ID
// or listing order), the archive's newest segment by position, the newest verified backup.
#include "dr/discovery.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "catalog/binlog/binlog_catalog.h"
#include "engine/engine.h"
#include "jobs/jobs.h"
#include "pitr/wal/wal_retention.h"
#include "verify/evidence.h"

namespace hasteward::dr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace discovery_test {
namespace {

platform::Cluster Shop() {
  platform::Cluster cluster;
  cluster.ns = "pt";
  cluster.name = "shop";
  return cluster;
}

repo::Id IdOf(uint8_t first) {
  repo::Id id{};
  id[0] = first;
  return id;
}

repo::Snapshot Snap(uint8_t id, repo::SnapshotType type, int64_t start,
                    std::optional<int64_t> end = std::nullopt,
                    std::vector<std::string> extra = {}) {
  repo::Snapshot snapshot;
  snapshot.id = IdOf(id);
  snapshot.time = repo::GoTime{start, 0, 0};
  if (end) {
    snapshot.backup_start = snapshot.time;
    snapshot.backup_end = repo::GoTime{*end, 0, 0};
  }
  snapshot.tags = jobs::SnapshotTags(Shop(), type, "");
  snapshot.tags.insert(snapshot.tags.end(), extra.begin(), extra.end());
  return snapshot;
}

// A native backup without positions (what an activation restores).
repo::Snapshot Backup(uint8_t id, int64_t start, std::optional<int64_t> end = std::nullopt) {
  return Snap(id, repo::SnapshotType::kBackup, start, end, {"method=native"});
}

repo::Snapshot Native(uint8_t id, int64_t start, int64_t end, const std::string& stop_lsn) {
  return Snap(id, repo::SnapshotType::kBackup, start, end,
              {"method=native", "timeline=1", "stop_lsn=" + stop_lsn});
}

repo::Snapshot Wal(uint8_t id, int64_t at, const std::string& last) {
  return Snap(id, repo::SnapshotType::kWal, at, at, {"wal_last=" + last});
}

repo::Snapshot Verification(uint8_t id, const repo::Snapshot& backup, const std::string& verdict) {
  return Snap(id, repo::SnapshotType::kVerification, 9000, 9000,
              {"verifies=" + repo::IdToHex(backup.id), "verdict=" + verdict});
}

class DiscoveryTest : public ::testing::Test {
 protected:
  Discovery Run(const std::vector<repo::Snapshot>& snapshots) {
    return Discover(snapshots, Shop(), engine_->archiving());
  }
  std::unique_ptr<engine::Engine> engine_ =
      std::move(engine::MakeEngine(platform::EngineKind::kPostgres).value());
};

TEST(DiscoveryTagsTest, MatchTheTagsTheirOwnersWrite) {
  EXPECT_STREQ(kVerifiesTag, verify::kTagVerifies);
  EXPECT_STREQ(kVerdictTag, verify::kTagVerdict);
  EXPECT_STREQ(kWalLastTag, pitr::kWalLastTag);
  EXPECT_STREQ(kBinlogArchiveTag, catalog::kBinlogArchiveTag);
}

// A long backup started first and ended last: its start time, its ID (smaller) and the listing
// (sorted by time) all point at the short one.
TEST_F(DiscoveryTest, PicksTheNewestBackupByRecordedEndNotStartIdOrOrder) {
  repo::Snapshot long_backup = Backup(0x10, 1000, 8000);
  repo::Snapshot short_backup = Backup(0xf0, 5000, 5100);
  for (const auto& order : {std::vector<repo::Snapshot>{long_backup, short_backup},
                            std::vector<repo::Snapshot>{short_backup, long_backup}}) {
    Discovery found = Run(order);
    ASSERT_TRUE(found.newest_backup.has_value());
    EXPECT_EQ(found.newest_backup->id, repo::IdToHex(long_backup.id));
    EXPECT_EQ(found.newest_backup->end.unix_seconds, 8000);
    EXPECT_TRUE(found.newest_backup->end_recorded);
    EXPECT_EQ(found.backups, 2U);
  }
}

TEST_F(DiscoveryTest, FallsBackToTheStartForSnapshotsWithoutARecordedEnd) {
  repo::Snapshot old_style = Backup(0x10, 6000);
  repo::Snapshot recorded = Backup(0x20, 1000, 5000);
  Discovery found = Run({recorded, old_style});
  ASSERT_TRUE(found.newest_backup.has_value());
  EXPECT_EQ(found.newest_backup->id, repo::IdToHex(old_style.id));
  EXPECT_FALSE(found.newest_backup->end_recorded);
}

TEST_F(DiscoveryTest, IgnoresOtherClustersAndOtherTypes) {
  repo::Snapshot other = Backup(0x30, 1000, 9999);
  platform::Cluster other_cluster = Shop();
  other_cluster.name = "other";
  other.tags = jobs::SnapshotTags(other_cluster, repo::SnapshotType::kBackup, "");
  other.tags.emplace_back("method=native");
  repo::Snapshot diverged =
      Snap(0x31, repo::SnapshotType::kDiverged, 1000, 9999, {"method=native"});
  repo::Snapshot mine = Backup(0x32, 1000, 2000);
  Discovery found = Run({other, diverged, mine});
  ASSERT_TRUE(found.newest_backup.has_value());
  EXPECT_EQ(found.newest_backup->id, repo::IdToHex(mine.id));
  EXPECT_EQ(found.backups, 1U);
  EXPECT_FALSE(found.archive.has_value());
}

// Segment names order by timeline and number; the piece stored last may hold an older segment
// (a retried push), so the head is chosen by position.
TEST_F(DiscoveryTest, TheArchiveHeadIsTheNewestSegmentByPosition) {
  Discovery found =
      Run({Wal(0x01, 100, "000000010000000000000007"), Wal(0x02, 300, "000000010000000000000005"),
           Wal(0x03, 200, "00000001000000000000000A"), Wal(0x04, 250, "00000002.history")});
  ASSERT_TRUE(found.archive.has_value());
  EXPECT_EQ(found.archive->pieces, 4U);
  ASSERT_TRUE(found.archive->wal.has_value());
  EXPECT_EQ(found.archive->wal->name, "00000001000000000000000A");
  EXPECT_EQ(found.archive->wal->segment, 10U);
  EXPECT_EQ(found.archive->newest_piece_id, repo::IdToHex(IdOf(0x02)));
  EXPECT_EQ(found.archive->newest_piece_at.unix_seconds, 300);
}

TEST_F(DiscoveryTest, ANativeBackupsEndSegmentHoldsItsStopPosition) {
  Discovery found = Run({Native(0x01, 100, 200, "0/5000100")});
  ASSERT_TRUE(found.newest_backup && found.newest_backup->end_position);
  EXPECT_TRUE(found.newest_backup->native);
  EXPECT_EQ(found.newest_backup->end_position->name, "000000010000000000000005");
  // On a segment boundary the stop belongs to the segment before.
  found = Run({Native(0x01, 100, 200, "0/6000000")});
  EXPECT_EQ(found.newest_backup->end_position->name, "000000010000000000000005");
}

TEST_F(DiscoveryTest, FindsTheNewestBackupWithAnOkVerification) {
  repo::Snapshot first = Backup(0x01, 100, 200);
  repo::Snapshot second = Backup(0x02, 300, 400);
  repo::Snapshot third = Backup(0x03, 500, 600);
  Discovery found = Run({third, Verification(0x11, first, "ok"), Verification(0x12, second, "ok"),
                         Verification(0x13, third, "failed"), first, second});
  EXPECT_EQ(found.verifications, 3U);
  ASSERT_TRUE(found.newest_verified.has_value());
  EXPECT_EQ(found.newest_verified->id, repo::IdToHex(second.id));
  EXPECT_EQ(found.newest_backup->id, repo::IdToHex(third.id));
}

// Issue finding 4: discovery chose the newest backup of any method while an activation restores
// the newest native base, so a standby looked Fresh and Restorable on dumps alone (and verified a
// dump) while its WAL archive and native base were what an activation would need.
TEST_F(DiscoveryTest, ALogicalBackupIsCountedButNeverChosen) {
  repo::Snapshot native = Native(0x01, 100, 200, "0/5000100");
  repo::Snapshot dump = Snap(0x02, repo::SnapshotType::kBackup, 300, 400, {"method=logical"});
  Discovery found = Run({native, dump, Verification(0x11, dump, "ok")});
  ASSERT_TRUE(found.newest_backup.has_value());
  EXPECT_EQ(found.newest_backup->id, repo::IdToHex(native.id));
  EXPECT_FALSE(found.newest_verified.has_value()) << "a verified dump proves no activation";
  EXPECT_EQ(found.backups, 1U);
  EXPECT_EQ(found.logical_backups, 1U);

  Discovery dumps_only = Run({dump});
  EXPECT_FALSE(dumps_only.newest_backup.has_value());
  EXPECT_NE(NoNativeBackup(dumps_only).find("only 1 logical backup(s)"), std::string::npos)
      << NoNativeBackup(dumps_only);
}

TEST_F(DiscoveryTest, BinlogPiecesCountWithoutAWalPositionAndRewindsAreSkipped) {
  repo::Snapshot piece =
      Snap(0x01, repo::SnapshotType::kWal, 100, 150, {kBinlogArchiveTag, "binlog_pieces=2"});
  repo::Snapshot rewind =
      Snap(0x02, repo::SnapshotType::kWal, 900, 900, {kBinlogArchiveTag, kBinlogRewindTag});
  Discovery found = Run({piece, rewind});
  ASSERT_TRUE(found.archive.has_value());
  EXPECT_EQ(found.archive->pieces, 1U);
  EXPECT_FALSE(found.archive->wal.has_value());
  EXPECT_EQ(found.archive->newest_piece_at.unix_seconds, 150);
}

}  // namespace
}  // namespace discovery_test
}  // namespace hasteward::dr
