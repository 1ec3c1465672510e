// What the standby's cursor pins: the newest verified backup (else the newest), and where replay
// onto it starts (a native PostgreSQL base's start segment, a MariaDB base's GTID position,
// nothing for a dump).
#include "dr/standby_cursor.h"

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "jobs/jobs.h"

namespace hasteward::dr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace standby_cursor_test {
namespace {

StandbySpec Spec() {
  StandbySpec spec;
  spec.name = "shop-dr";
  spec.source.ns = "pt";
  spec.source.name = "shop";
  spec.cursor.ttl = std::chrono::minutes(60);
  return spec;
}

repo::Snapshot Backup(uint8_t first, int64_t end, std::vector<std::string> extra) {
  repo::Snapshot snapshot;
  snapshot.id[0] = first;
  snapshot.time = repo::GoTime{end - 10, 0, 0};
  snapshot.backup_start = snapshot.time;
  snapshot.backup_end = repo::GoTime{end, 0, 0};
  snapshot.tags = jobs::SnapshotTags(Spec().SourceCluster(), repo::SnapshotType::kBackup, "");
  snapshot.tags.insert(snapshot.tags.end(), extra.begin(), extra.end());
  return snapshot;
}

repo::Snapshot Verified(uint8_t first, const repo::Snapshot& backup) {
  repo::Snapshot snapshot;
  snapshot.id[0] = first;
  snapshot.time = repo::GoTime{9000, 0, 0};
  snapshot.tags = jobs::SnapshotTags(Spec().SourceCluster(), repo::SnapshotType::kVerification, "");
  snapshot.tags.push_back("verifies=" + repo::IdToHex(backup.id));
  snapshot.tags.push_back("verdict=ok");
  return snapshot;
}

// The cursor for `snapshots` of the source cluster running `kind` (their engine= tag follows).
std::optional<repo::StandbyCursor> Needed(
    std::vector<repo::Snapshot> snapshots,
    platform::EngineKind kind = platform::EngineKind::kPostgres) {
  auto engine = engine::MakeEngine(kind);
  EXPECT_TRUE(engine.ok());
  StandbySpec spec = Spec();
  spec.source.engine = kind;
  for (auto& snapshot : snapshots) {
    snapshot.tags[0] = std::string("engine=") + platform::EngineKindName(kind);  // SnapshotTags
  }
  Discovery discovery = Discover(snapshots, spec.SourceCluster(), (*engine)->archiving());
  return NeededCursor(spec, discovery, snapshots, (*engine)->archiving(), 5000);
}

std::vector<std::string> NativeAt5() {
  return {"method=native", "timeline=1", "start_lsn=0/5000028", "stop_lsn=0/5000100"};
}

TEST(StandbyCursorTest, PinsTheNewestVerifiedBackupAndItsStartSegment) {
  repo::Snapshot old_native = Backup(1, 1000, NativeAt5());
  std::vector<repo::Snapshot> snapshots = {old_native, Backup(2, 2000, {}),
                                           Verified(3, old_native)};
  auto cursor = Needed(snapshots);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->backup_id, repo::IdToHex(old_native.id));
  EXPECT_EQ(cursor->position_kind, repo::CursorPositionKind::kWalSegment);
  EXPECT_EQ(cursor->position, "000000010000000000000005");
  EXPECT_EQ(cursor->backup_end, "1970-01-01T00:16:40Z");
  EXPECT_EQ(cursor->written_unix, 5000);
  EXPECT_EQ(cursor->ttl_seconds, 3600);
  EXPECT_EQ(cursor->ClusterKey(), "cnpg/pt/shop");
}

// A newer dump is no activation's base (issue finding 4): the cursor pins the newest native one
// and its WAL, which is what an activation replays.
TEST(StandbyCursorTest, WithoutAVerifiedBackupPinsTheNewestNativeByEnd) {
  std::vector<repo::Snapshot> snapshots = {Backup(1, 3000, {}), Backup(2, 2000, NativeAt5())};
  auto cursor = Needed(snapshots);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->backup_id, repo::IdToHex(snapshots[1].id));
  EXPECT_EQ(cursor->position_kind, repo::CursorPositionKind::kWalSegment);
  EXPECT_EQ(cursor->position, "000000010000000000000005");
}

TEST(StandbyCursorTest, AMariadbBaseNamesItsGtidPosition) {
  std::vector<repo::Snapshot> snapshots = {
      Backup(1, 1000, {"method=native", "gtid_position=0-1-42"})};
  auto cursor = Needed(snapshots, platform::EngineKind::kMariadb);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->engine, "mariadb");
  EXPECT_EQ(cursor->position_kind, repo::CursorPositionKind::kGtid);
  EXPECT_EQ(cursor->position, "0-1-42");
}

// With activation.pointInTime the cursor pins what an activation to that time restores: the
// newest native base that ended by then, not the newest (verified) backup, which started later.
TEST(StandbyCursorTest, APointInTimePinsTheNewestNativeBaseEndedByThen) {
  std::vector<std::string> native_at_3 = {"method=native", "timeline=1", "start_lsn=0/3000028",
                                          "stop_lsn=0/3000100"};
  repo::Snapshot older = Backup(1, 1000, native_at_3);
  repo::Snapshot before_point = Backup(2, 2000, NativeAt5());
  repo::Snapshot dump_before_point = Backup(3, 2100, {});
  repo::Snapshot after_point = Backup(4, 4000, NativeAt5());
  std::vector<repo::Snapshot> snapshots = {older, after_point, dump_before_point, before_point,
                                           Verified(5, after_point)};
  StandbySpec spec = Spec();
  spec.activation.point_in_time = "1970-01-01T00:41:40Z";  // 2500
  auto engine = engine::MakeEngine(platform::EngineKind::kPostgres);
  ASSERT_TRUE(engine.ok());
  Discovery discovery = Discover(snapshots, spec.SourceCluster(), (*engine)->archiving());
  auto cursor = NeededCursor(spec, discovery, snapshots, (*engine)->archiving(), 5000);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->backup_id, repo::IdToHex(before_point.id));
  EXPECT_EQ(cursor->position, "000000010000000000000005");  // the archive from its start on

  // Without the point, the newest verified backup, as before.
  spec.activation.point_in_time.reset();
  cursor = NeededCursor(spec, discovery, snapshots, (*engine)->archiving(), 5000);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->backup_id, repo::IdToHex(after_point.id));
}

// A point before every native base: no activation can reach it, so the cursor keeps pinning what
// the standby would otherwise restore (never nothing).
TEST(StandbyCursorTest, APointBeforeEveryBaseFallsBackToTheNewest) {
  std::vector<repo::Snapshot> snapshots = {Backup(1, 3000, NativeAt5())};
  StandbySpec spec = Spec();
  spec.activation.point_in_time = "1970-01-01T00:00:10Z";
  auto engine = engine::MakeEngine(platform::EngineKind::kPostgres);
  ASSERT_TRUE(engine.ok());
  Discovery discovery = Discover(snapshots, spec.SourceCluster(), (*engine)->archiving());
  auto cursor = NeededCursor(spec, discovery, snapshots, (*engine)->archiving(), 5000);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->backup_id, repo::IdToHex(snapshots[0].id));
}

TEST(StandbyCursorTest, NothingToPinWithoutABackup) {
  EXPECT_FALSE(Needed({}).has_value());
}

}  // namespace
}  // namespace standby_cursor_test
}  // namespace hasteward::dr
