// Prune's archive retention picks the WAL or the binlog rules by the engine's capability, and
// keeps everything of an engine it does not know.
#include "pitr/pitr_retention.h"

#include <set>

#include <gtest/gtest.h>

#include "catalog/binlog/binlog_catalog.h"
#include "pitr/binlog/binlog_tags.h"
#include "pitr/wal/wal_retention.h"
#include "repo/maintenance/retention_pins.h"
#include "repo/maintenance/retention_plan.h"

namespace hasteward::pitr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace pitr_retention_test {
namespace {

std::vector<bool> Keeps(const std::string& engine, const repo::SnapshotMeta& base,
                        const repo::SnapshotMeta& piece) {
  std::vector<bool> keeps;
  for (const auto& decision : PitrRetention().Decide(engine, {&base}, {&piece})) {
    keeps.push_back(decision.keep);
  }
  return keeps;
}

TEST(PitrRetentionTest, CnpgPiecesFollowTheWalRules) {
  repo::SnapshotMeta base{"bbbbbbbb1",
                          "2026-01-01T00:00:00Z",
                          "host",
                          {"/ns/c"},
                          {"type=backup", "method=native", "start_lsn=0/5000028", "timeline=1"}};
  repo::SnapshotMeta piece{"p3",
                           "2026-01-01T00:00:00Z",
                           "host",
                           {"/ns/c/wal"},
                           {"type=wal", std::string(kWalLastTag) + "=000000010000000000000003"}};
  EXPECT_EQ(Keeps("cnpg", base, piece), std::vector<bool>{false});
  EXPECT_EQ(Keeps("no-such-engine", base, piece), std::vector<bool>{true});
}

TEST(PitrRetentionTest, MariadbAndGaleraPiecesFollowTheBinlogRules) {
  repo::SnapshotMeta base{"bbbbbbbb1",
                          "2026-01-01T00:00:00Z",
                          "host",
                          {"/ns/c/data"},
                          {"type=backup", "method=native", "gtid_position=0-1-12"}};
  catalog::BinlogPiece sealed_before_base;
  sealed_before_base.identity = {"c-0", 1, 1600000000, "bin.000001"};
  sealed_before_base.end = 100;
  sealed_before_base.transactions = 1;
  sealed_before_base.gtid_state_after = "0-1-5";
  sealed_before_base.sealed = true;
  repo::SnapshotMeta piece{
      "a1",
      "2025-12-31T00:00:00Z",
      "host",
      {"/ns/c/binlog"},
      {"type=wal", catalog::kBinlogArchiveTag, std::string(kBinlogPiecesTag) + "=1",
       BinlogPieceTag(sealed_before_base)}};
  EXPECT_EQ(Keeps("mariadb", base, piece), std::vector<bool>{false});
  EXPECT_EQ(Keeps("galera", base, piece), std::vector<bool>{false});
}

// Two native bases of cnpg/pt/shop (starting in segments 3 and 9) and a WAL piece for each
// segment range; prune keeps only the newest base by policy.
std::set<std::string> RemovedWithCursorWrittenAt(int64_t written) {
  auto tagged = [](std::vector<std::string> extra) {
    std::vector<std::string> tags = {"engine=cnpg", "cluster=shop", "namespace=pt"};
    tags.insert(tags.end(), extra.begin(), extra.end());
    return tags;
  };
  const std::vector<repo::SnapshotMeta> snapshots = {
      {"old",
       "2030-03-15T00:00:00Z",
       "h",
       {"/pt/shop/data"},
       tagged({"type=backup", "method=native", "start_lsn=0/3000028", "timeline=1"})},
      {"new",
       "2030-03-17T00:00:00Z",
       "h",
       {"/pt/shop/data"},
       tagged({"type=backup", "method=native", "start_lsn=0/9000028", "timeline=1"})},
      {"w4",
       "2030-03-15T01:00:00Z",
       "h",
       {"/pt/shop/wal"},
       tagged({"type=wal", std::string(kWalLastTag) + "=000000010000000000000004"})},
      {"w9",
       "2030-03-17T01:00:00Z",
       "h",
       {"/pt/shop/wal"},
       tagged({"type=wal", std::string(kWalLastTag) + "=000000010000000000000009"})}};
  repo::StandbyCursor cursor;
  cursor.standby = "shop-dr";
  cursor.engine = "cnpg";
  cursor.namespace_name = "pt";
  cursor.cluster = "shop";
  cursor.backup_id = "old";
  cursor.position_kind = repo::CursorPositionKind::kWalSegment;
  cursor.position = "000000010000000000000003";
  cursor.written_unix = written;
  cursor.ttl_seconds = 3600;
  const int64_t now = 1900000000;
  repo::RetentionPins pins = repo::RetentionPins::Judge(
      {repo::CursorRead{"shop-dr.json", cursor, core::Status::Ok()}}, now);
  static const PitrRetention kArchive;
  repo::PruneOptions options;
  options.policy.keep_last = 1;
  options.now = std::chrono::system_clock::from_time_t(now);
  options.archive = &kArchive;
  options.pins = &pins;
  auto plan = repo::PlanRetention(snapshots, options);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  auto ids = plan->RemoveIds();
  return {ids.begin(), ids.end()};
}

TEST(PitrRetentionTest, ALiveCursorKeepsItsBaseAndTheWalItReplays) {
  EXPECT_TRUE(RemovedWithCursorWrittenAt(1900000000 - 60).empty());
}

TEST(PitrRetentionTest, AnExpiredCursorLetsTheBaseAndItsWalGo) {
  EXPECT_EQ(RemovedWithCursorWrittenAt(1900000000 - 3601), (std::set<std::string>{"old", "w4"}));
}

}  // namespace
}  // namespace pitr_retention_test
}  // namespace hasteward::pitr
