#include "operator/archive/archive_progress.h"

#include <gtest/gtest.h>

namespace hasteward::op {
namespace {

constexpr char kCycle[] =
    R"({"ok":true,"writer":"db-0","pieces":1,"bytes":300,"transactions":4,"snapshot":"ab",)"
    R"("archived_gtid":"0-1-42","last_transaction_time":1763870100,"files_behind":0,)"
    R"("bytes_behind":0,"listed_at":1763870101.5})";
constexpr char kFailed[] =
    R"({"ok":false,"error":"repository unreachable","code":"storage","writer":"db-0",)"
    R"("pieces":0,"transactions":0,"files_behind":2,"bytes_behind":4096})";

TEST(ArchiveProgressTest, ASuccessfulCycleSetsPositionAndCoverage) {
  ArchiveProgress p;
  ASSERT_TRUE(ApplyCycleLine(kCycle, p));
  EXPECT_EQ(p.position, "0-1-42");
  EXPECT_EQ(p.last_transaction_time, 1763870100);
  EXPECT_DOUBLE_EQ(p.covered_at, 1763870101.5);
  EXPECT_EQ(p.files_behind, 0);
  EXPECT_EQ(p.cycles_ok, 1);
  EXPECT_DOUBLE_EQ(*LagSeconds(p, 1763870111.5), 10.0);
}

TEST(ArchiveProgressTest, AFailedCycleKeepsCoverageAndRecordsTheBacklog) {
  ArchiveProgress p;
  ASSERT_TRUE(ApplyCycleLine(kCycle, p));
  ASSERT_TRUE(ApplyCycleLine(kFailed, p));
  EXPECT_EQ(p.position, "0-1-42");
  EXPECT_DOUBLE_EQ(p.covered_at, 1763870101.5) << "a failed cycle archived nothing";
  EXPECT_EQ(p.files_behind, 2);
  EXPECT_EQ(p.bytes_behind, 4096);
  EXPECT_EQ(p.cycles_failed, 1);
  EXPECT_EQ(p.last_error, "repository unreachable");
  EXPECT_DOUBLE_EQ(*LagSeconds(p, 1763870161.5), 60.0) << "the lag grows during an outage";
}

TEST(ArchiveProgressTest, AnUnmeasuredBacklogKeepsTheLastMeasure) {
  ArchiveProgress p;
  ASSERT_TRUE(ApplyCycleLine(kFailed, p));
  ASSERT_TRUE(ApplyCycleLine(R"({"ok":false,"error":"x","files_behind":null})", p));
  EXPECT_EQ(p.files_behind, 2);
}

TEST(ArchiveProgressTest, OtherLinesChangeNothingAndNoLagBeforeTheFirstCycle) {
  ArchiveProgress p;
  EXPECT_FALSE(ApplyCycleLine("archived 3 transactions", p));
  EXPECT_FALSE(ApplyCycleLine(R"({"writer":"db-0"})", p));
  EXPECT_FALSE(ApplyCycleLine(R"({"ok":tr)", p));
  EXPECT_EQ(p.cycles_ok + p.cycles_failed, 0);
  EXPECT_FALSE(LagSeconds(p, 1763870000).has_value());
}

TEST(ArchiveProgressTest, AgentLinesCountRequestsStoredFilesAndErrors) {
  ArchiveProgress p;
  ASSERT_TRUE(ApplyAgentLine(
      R"({"file":"000000010000000000000003","ok":true,"stored":3,"already_archived":false})", p));
  ASSERT_TRUE(ApplyAgentLine(
      R"({"file":"000000010000000000000004","ok":true,"stored":0,"already_archived":true})", p));
  ASSERT_TRUE(ApplyAgentLine(R"({"file":"000000010000000000000009","ok":false,"error":"x"})", p));
  EXPECT_FALSE(ApplyAgentLine("archive agent listening", p));
  EXPECT_FALSE(ApplyAgentLine(R"({"ok":true,"listed_at":5})", p)) << "a binlog cycle line";
  EXPECT_EQ(p.agent_requests, 3);
  EXPECT_EQ(p.agent_files_archived, 3);
  EXPECT_EQ(p.agent_errors, 1);
  EXPECT_EQ(p.cycles_ok + p.cycles_failed, 0) << "agent answers are not archiving cycles";
}

TEST(ArchiveProgressTest, SummarizesABinlogStatusCountingEachGapOnce) {
  const std::string gap =
      R"({"after":"0-1-9","resumes_at":"0-1-12","resumes_in":"f","missing":null})";
  auto summary = SummarizePitrStatus(
      R"({"cluster":"ns/db","bases":[)"
      R"({"time":"2026-11-23T07:00:00Z","abandoned":false,"recoverable":true,)"
      R"("end_time":"2026-11-23T07:20:00Z","gap":)" +
      gap +
      R"(},)"
      R"({"time":"2026-11-23T07:10:00Z","abandoned":false,"recoverable":true,)"
      R"("end_time":"2026-11-23T07:20:00Z","gap":)" +
      gap +
      R"(},)"
      R"({"time":"2026-11-23T06:00:00Z","abandoned":true,"recoverable":false,"gap":null}]})");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->bases, 3);
  EXPECT_EQ(summary->gaps, 1);
  EXPECT_DOUBLE_EQ(summary->start, 1795417200);  // 07:00, the abandoned 06:00 base is no start
  EXPECT_DOUBLE_EQ(summary->end, 1795418400);
}

TEST(ArchiveProgressTest, SummarizesAWalStatusAndAWindowThatReplaysNothingEndsAtItsBase) {
  auto summary = SummarizePitrStatus(
      R"({"cluster":"ns/pg","wal_files":0,"bases":[)"
      R"({"time":"2026-11-23T07:00:00Z","recoverable":true,"gap":null},)"
      R"({"time":"2026-11-23T08:00:00Z","recoverable":false,"gap":{"first":"a","last":"b"}}]})");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->gaps, 1);
  EXPECT_DOUBLE_EQ(summary->start, 1795417200);
  EXPECT_DOUBLE_EQ(summary->end, 1795417200);
  EXPECT_EQ(SummarizePitrStatus("not json").status().code(), core::ErrorCode::kCorruption);
}

TEST(ArchiveProgressTest, AServerArchiverQueueIsTheLagAndAnEmptyQueueIsCurrent) {
  engine::ArchiverState state;
  state.enabled = true;
  state.last_archived = "000000010000000000000007";
  state.last_archived_time = 1000;
  ArchiveProgress p;
  ApplyServerArchiver(state, 16 << 20, 1010, p);
  EXPECT_EQ(*p.enabled, true);
  EXPECT_EQ(p.position, "000000010000000000000007");
  EXPECT_DOUBLE_EQ(*LagSeconds(p, 1012), 2) << "nothing queued: current when read";
  state.waiting = 3;  // the repository went away: segments wait on the server
  ApplyServerArchiver(state, 16 << 20, 1070, p);
  EXPECT_EQ(p.files_behind, 3);
  EXPECT_EQ(p.bytes_behind, 3 * (16 << 20));
  EXPECT_DOUBLE_EQ(*LagSeconds(p, 1070), 60) << "current last at the read before the queue grew";
}

TEST(ArchiveProgressTest, AServerThatDoesNotArchiveHasNoLag) {
  engine::ArchiverState state;
  state.enabled = false;
  ArchiveProgress p;
  ApplyServerArchiver(state, 16 << 20, 1010, p);
  EXPECT_EQ(*p.enabled, false);
  EXPECT_FALSE(LagSeconds(p, 1012).has_value());
}

}  // namespace
}  // namespace hasteward::op
