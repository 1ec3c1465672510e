// What a restore would discard on one instance: the engines' judgements of an instance's position
// against the position of the data that replaces it (the discard gate refuses on newer and
// unknown), and the end of a stopped PostgreSQL instance's WAL read from pg_waldump's closing
// error (a crashed primary's commits after its last checkpoint count).
#include "engine/mariadb/held_data_judge.h"

#include <gtest/gtest.h>

#include "engine/postgres/held_data_judge.h"
#include "engine/postgres/wal_end.h"

namespace hasteward::engine {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace held_data_judge_test {
namespace {

InstanceHealth Pg(const std::string& tli, const std::string& lsn, const std::string& source) {
  InstanceHealth h;
  h.instance.name = "pg-0";
  h.state = InstanceState::kStopped;
  h.facts = {{"lineage_timeline", tli}, {"position_lsn", lsn}, {"position_source", source}};
  return h;
}

const std::map<std::string, std::string> kPgBackup = {{"timeline", "1"}, {"stop_lsn", "0/3000100"}};

TEST(PgHeldDataTest, AtOrBeforeTheBackupsEndOnItsTimelineIsNotNewer) {
  EXPECT_EQ(postgres::JudgePgHeldData(Pg("1", "0/3000100", "wal"), kPgBackup).held,
            HeldData::kNotNewer);
  EXPECT_EQ(postgres::JudgePgHeldData(Pg("1", "0/2000000", "end_of_wal"), kPgBackup).held,
            HeldData::kNotNewer);
}

TEST(PgHeldDataTest, PastTheBackupsEndOrOnALaterTimelineIsNewer) {
  auto past = postgres::JudgePgHeldData(Pg("1", "0/3000108", "end_of_wal"), kPgBackup);
  EXPECT_EQ(past.held, HeldData::kNewer);
  EXPECT_EQ(past.position, "timeline 1 at 0/3000108 (end of WAL)");
  EXPECT_EQ(postgres::JudgePgHeldData(Pg("2", "0/1000000", "wal"), kPgBackup).held,
            HeldData::kNewer);
}

TEST(PgHeldDataTest, ALowerBoundProvesOnlyNewerNeverNotNewer) {
  // A checkpoint (or the start of the last record) before the backup's end says nothing about
  // the commits after it.
  EXPECT_EQ(postgres::JudgePgHeldData(Pg("1", "0/2000000", "checkpoint"), kPgBackup).held,
            HeldData::kUnknown);
  EXPECT_EQ(postgres::JudgePgHeldData(Pg("1", "0/2000000", "last_record"), kPgBackup).held,
            HeldData::kUnknown);
  EXPECT_EQ(postgres::JudgePgHeldData(Pg("1", "0/4000000", "checkpoint"), kPgBackup).held,
            HeldData::kNewer);
}

TEST(PgHeldDataTest, AStoppedInstanceIsJudgedByWhereItsLastTransactionEnds) {
  // A clean shutdown writes its checkpoint record past the archive's end; no commit is there.
  InstanceHealth stopped = Pg("1", "0/80000A0", "end_of_wal");
  stopped.facts["data_end_lsn"] = "0/7FFF000";
  const std::map<std::string, std::string> archive_end = {{"timeline", "1"},
                                                          {"stop_lsn", "0/8000000"}};
  auto judged = postgres::JudgePgHeldData(stopped, archive_end);
  EXPECT_EQ(judged.held, HeldData::kNotNewer);
  EXPECT_EQ(judged.position,
            "timeline 1, its last transaction ending at 0/7FFF000 (WAL to 0/80000A0)");
  stopped.facts["data_end_lsn"] = "0/8000100";
  EXPECT_EQ(postgres::JudgePgHeldData(stopped, archive_end).held, HeldData::kNewer);
  // Found by reading every valid record, it is exact even when the WAL's end was not.
  InstanceHealth lower_bound = Pg("1", "0/80000A0", "last_record");
  lower_bound.facts["data_end_lsn"] = "0/7FFF000";
  EXPECT_EQ(postgres::JudgePgHeldData(lower_bound, archive_end).held, HeldData::kNotNewer);
}

TEST(PgHeldDataTest, AnUnreadablePositionOrAnotherClusterIsUnknown) {
  InstanceHealth unreadable = Pg("", "", "");
  unreadable.facts["controldata_error"] = "pg_controldata: could not open file";
  auto judged = postgres::JudgePgHeldData(unreadable, kPgBackup);
  EXPECT_EQ(judged.held, HeldData::kUnknown);
  EXPECT_NE(judged.position.find("could not open file"), std::string::npos);
  InstanceHealth other = Pg("1", "0/1000000", "wal");
  other.facts["system_identifier"] = "111";
  auto backup = kPgBackup;
  backup["system_identifier"] = "222";
  EXPECT_EQ(postgres::JudgePgHeldData(other, backup).held, HeldData::kUnknown);
}

// Histories, not positions: a fork is judged by where the replacing data's history left the
// held data's timeline, not by comparing positions across timelines.
TEST(PgHeldDataTest, ALowerTimelinePastWhereTheReplacementsHistoryLeftItIsNewer) {
  // A fenced old primary on timeline 1 kept committing after a standby was promoted at 0/4000000;
  // the replacement (timeline 2) ends later in LSN terms, but holds none of those commits.
  const std::map<std::string, std::string> promoted = {
      {"timeline", "2"}, {"stop_lsn", "0/6000000"}, {"timeline_history", "1:0/4000000"}};
  InstanceHealth old_primary = Pg("1", "0/5000000", "end_of_wal");
  old_primary.facts["data_end_lsn"] = "0/4800000";
  auto judged = postgres::JudgePgHeldData(old_primary, promoted);
  EXPECT_EQ(judged.held, HeldData::kNewer) << judged.position;
  EXPECT_NE(judged.position.find("past 0/4000000"), std::string::npos) << judged.position;
  // Before the fork, the replacement's history holds everything it has.
  old_primary.facts["data_end_lsn"] = "0/3FFF000";
  EXPECT_EQ(postgres::JudgePgHeldData(old_primary, promoted).held, HeldData::kNotNewer);
}

TEST(PgHeldDataTest, ATimelineTheReplacementsHistoryNeverPassedIsNewer) {
  // Held on timeline 2 (forked from 1 at 0/3000000); the replacement's timeline 3 forked from 1
  // directly: timeline 2 is another branch whatever its position.
  InstanceHealth branch = Pg("2", "0/3100000", "end_of_wal");
  branch.facts["data_end_lsn"] = "0/3080000";
  branch.facts["history"] = "1:0/3000000";
  const std::map<std::string, std::string> other = {
      {"timeline", "3"}, {"stop_lsn", "0/9000000"}, {"timeline_history", "1:0/3000000"}};
  auto judged = postgres::JudgePgHeldData(branch, other);
  EXPECT_EQ(judged.held, HeldData::kNewer) << judged.position;
  EXPECT_NE(judged.position.find("another branch"), std::string::npos) << judged.position;
}

TEST(PgHeldDataTest, AReplacementOnALaterTimelineWithoutItsHistoryIsUnknown) {
  const std::map<std::string, std::string> no_history = {{"timeline", "2"},
                                                         {"stop_lsn", "0/6000000"}};
  InstanceHealth held = Pg("1", "0/2000000", "end_of_wal");
  held.facts["data_end_lsn"] = "0/2000000";
  auto judged = postgres::JudgePgHeldData(held, no_history);
  EXPECT_EQ(judged.held, HeldData::kUnknown);
  EXPECT_NE(judged.position.find("records no timeline history"), std::string::npos);
}

TEST(PgHeldDataTest, AfterARestoreTheRestoredHistoryIsNewerThanAnotherSnapshotOfTheOldTimeline) {
  // Restored from B1 (timeline 1, end 0/3000100) and promoted to timeline 2, then 500 rows
  // committed; B2 (timeline 1, end 0/4000000) would replace them.
  const std::map<std::string, std::string> b2 = {{"timeline", "1"}, {"stop_lsn", "0/4000000"}};
  InstanceHealth restored = Pg("2", "0/3600000", "end_of_wal");
  restored.facts["history"] = "1:0/3000100";
  restored.facts["data_end_lsn"] = "0/3500000";
  EXPECT_EQ(postgres::JudgePgHeldData(restored, b2).held, HeldData::kNewer);
  // Promoted but nothing written since: its data ends on timeline 1 at B1's end, which B2's
  // history (timeline 1 to 0/4000000) holds.
  restored.facts["data_end_lsn"] = "0/3000100";
  EXPECT_EQ(postgres::JudgePgHeldData(restored, b2).held, HeldData::kNotNewer);
}

InstanceHealth Maria(InstanceRole role, const std::string& key, const std::string& gtid) {
  InstanceHealth h;
  h.instance.name = "db-1";
  h.state = InstanceState::kHealthy;
  h.role = role;
  h.facts[key] = gtid;
  return h;
}

TEST(MariadbHeldDataTest, ComparesTheRunningServersGtidWithTheBackups) {
  const std::map<std::string, std::string> backup = {{"gtid_position", "0-1-42"}};
  EXPECT_EQ(mariadb::JudgeMariadbHeldData(
                Maria(InstanceRole::kPrimary, "gtid_binlog_pos", "0-1-42"), backup)
                .held,
            HeldData::kNotNewer);
  EXPECT_EQ(mariadb::JudgeMariadbHeldData(
                Maria(InstanceRole::kReplica, "gtid_current_pos", "0-1-40"), backup)
                .held,
            HeldData::kNotNewer);
  auto ahead = mariadb::JudgeMariadbHeldData(
      Maria(InstanceRole::kReplica, "gtid_current_pos", "0-1-43"), backup);
  EXPECT_EQ(ahead.held, HeldData::kNewer);
  EXPECT_EQ(ahead.position, "GTID 0-1-43");
  EXPECT_EQ(mariadb::JudgeMariadbHeldData(
                Maria(InstanceRole::kPrimary, "gtid_binlog_pos", "0-1-40,1-2-1"), backup)
                .held,
            HeldData::kNewer)
      << "a domain the backup lacks";
}

// Issue 49: a restore of B1 (at 0-1-42) writes its new history in a new domain (1), so what it
// committed after the restore is told apart from the abandoned history's 0-1-43...0-1-60, where
// the later backup B2 was taken.
TEST(MariadbHeldDataTest, AfterARestoreTheNewDomainsWritesAreNewerThanTheAbandonedHistorysBackup) {
  const std::map<std::string, std::string> b2 = {{"gtid_position", "0-1-60"}};
  auto written = mariadb::JudgeMariadbHeldData(
      Maria(InstanceRole::kPrimary, "gtid_binlog_pos", "0-1-42,1-1-500"), b2);
  EXPECT_EQ(written.held, HeldData::kNewer);
  EXPECT_EQ(written.position, "GTID 0-1-42,1-1-500");
  EXPECT_EQ(mariadb::JudgeMariadbHeldData(
                Maria(InstanceRole::kReplica, "gtid_current_pos", "0-1-42,1-1-500"), b2)
                .held,
            HeldData::kNewer);
  // Restored and nothing written since: the new domain is not in its position yet.
  EXPECT_EQ(
      mariadb::JudgeMariadbHeldData(Maria(InstanceRole::kPrimary, "gtid_binlog_pos", "0-1-42"), b2)
          .held,
      HeldData::kNotNewer);
  const std::map<std::string, std::string> b1 = {{"gtid_position", "0-1-42"}};
  EXPECT_EQ(
      mariadb::JudgeMariadbHeldData(Maria(InstanceRole::kPrimary, "gtid_binlog_pos", "0-1-42"), b1)
          .held,
      HeldData::kNotNewer);
  // A backup of the new history taken after the writes: nothing newer is held.
  const std::map<std::string, std::string> b3 = {{"gtid_position", "0-1-42,1-1-500"}};
  EXPECT_EQ(mariadb::JudgeMariadbHeldData(
                Maria(InstanceRole::kPrimary, "gtid_binlog_pos", "0-1-42,1-1-500"), b3)
                .held,
            HeldData::kNotNewer);
}

TEST(MariadbHeldDataTest, AStoppedServerOrAMalformedPositionIsUnknown) {
  const std::map<std::string, std::string> backup = {{"gtid_position", "0-1-42"}};
  InstanceHealth stopped = Maria(InstanceRole::kReplica, "gtid_current_pos", "0-1-1");
  stopped.state = InstanceState::kStopped;
  EXPECT_EQ(mariadb::JudgeMariadbHeldData(stopped, backup).held, HeldData::kUnknown);
  EXPECT_EQ(mariadb::JudgeMariadbHeldData(
                Maria(InstanceRole::kReplica, "gtid_current_pos", "0-1-x"), backup)
                .held,
            HeldData::kUnknown);
}

TEST(GaleraHeldDataTest, ComparesSeqnoWithinTheBackupsClusterUuid) {
  const std::map<std::string, std::string> backup = {{"wsrep_uuid", "u1"}, {"wsrep_seqno", "10"}};
  InstanceHealth node;
  node.state = InstanceState::kStopped;
  node.facts = {{"position_uuid", "u1"}, {"position_seqno", "10"}};
  EXPECT_EQ(mariadb::JudgeGaleraHeldData(node, backup).held, HeldData::kNotNewer);
  node.facts["position_seqno"] = "11";
  EXPECT_EQ(mariadb::JudgeGaleraHeldData(node, backup).held, HeldData::kNewer);
  node.facts["position_uuid"] = "u2";
  EXPECT_EQ(mariadb::JudgeGaleraHeldData(node, backup).held, HeldData::kUnknown);
  node.facts = {{"position_error", "no valid position"}};
  EXPECT_EQ(mariadb::JudgeGaleraHeldData(node, backup).held, HeldData::kUnknown);
}

TEST(WalEndTest, TheNextRecordsPositionInPgWaldumpsClosingErrorIsTheExactEnd) {
  auto end = postgres::WalEndFromWaldump(
      "pg_waldump: error: error in WAL record at 0/17424D8: invalid record length at 0/1742530: "
      "wanted 24, got 0\n");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->lsn, 0x1742530u);
  EXPECT_TRUE(end->exact);
  auto prev_link = postgres::WalEndFromWaldump(
      "pg_waldump: error: error in WAL record at 0/3000060: record with incorrect prev-link "
      "0/1000000 at 0/30000D8\n");
  ASSERT_TRUE(prev_link.has_value());
  EXPECT_EQ(prev_link->lsn, 0x30000D8u);
}

TEST(WalEndTest, TheLastTransactionRecordEndsAtItsStartPlusItsTotalLength) {
  auto end = postgres::LastTransactionEndFromWaldump(
      "rmgr: Transaction len (rec/tot):     34/    34, tx:        735, lsn: 0/03000148, prev "
      "0/03000110, desc: COMMIT 2026-11-25 10:00:00.000000 UTC\n"
      "rmgr: Transaction len (rec/tot):     34/    34, tx:        736, lsn: 0/030001F0, prev "
      "0/030001B8, desc: COMMIT 2026-11-25 10:00:01.000000 UTC\n"
      "pg_waldump: error: error in WAL record at 0/3000250: invalid record length at "
      "0/30002C8: wanted 24, got 0\n");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(*end, 0x30001F0u + 34);
  EXPECT_FALSE(postgres::LastTransactionEndFromWaldump(
                   "pg_waldump: error: error in WAL record at 0/3000250: invalid record length")
                   .has_value());
}

TEST(WalEndTest, WithNoTransactionAfterTheRedoPointOnlyItsPageHeaderIsSkipped) {
  EXPECT_EQ(postgres::TransactionEndAtOrBefore(0x8000028), 0x8000000u);  // long page header
  EXPECT_EQ(postgres::TransactionEndAtOrBefore(0x8002018), 0x8002000u);  // short page header
  EXPECT_EQ(postgres::TransactionEndAtOrBefore(0x8000148), 0x8000148u);
}

TEST(WalEndTest, AReasonWithoutAPositionGivesTheLastRecordsStartAsALowerBound) {
  auto end = postgres::WalEndFromWaldump(
      "pg_waldump: error: error in WAL record at 0/30001E0: invalid magic number 0000 in WAL "
      "segment 000000010000000000000004, LSN 0/4000000, offset 0\n");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->lsn, 0x30001E0u);
  EXPECT_FALSE(end->exact);
  EXPECT_FALSE(postgres::WalEndFromWaldump(
                   "pg_waldump: error: could not find file \"000000010000000000000003\"")
                   .has_value());
}

}  // namespace
}  // namespace held_data_judge_test
}  // namespace hasteward::engine
