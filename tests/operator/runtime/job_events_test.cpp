#include "operator/runtime/job_events.h"

#include <gtest/gtest.h>

namespace hasteward::op {
namespace {

using platform::ClusterEventType;

JobRequest Request(JobKind kind) {
  JobRequest request;
  request.kind = kind;
  request.cluster.ns = "db";
  request.cluster.name = "pg";
  return request;
}

JobResult Result(JobOutcome outcome, const std::string& verdict = "") {
  JobResult result;
  result.outcome = outcome;
  result.ok = outcome == JobOutcome::kOk;
  result.verdict = verdict;
  result.seconds = 2.4;
  return result;
}

TEST(JobEventsTest, ASuccessfulBackupIsNormalAndNamesItsSnapshot) {
  JobResult result = Result(JobOutcome::kOk);
  result.snapshot_id = "0123456789abcdef";
  auto events = JobEvents(Request(JobKind::kBackup), result);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, ClusterEventType::kNormal);
  EXPECT_EQ(events[0].reason, "BackupSucceeded");
  EXPECT_EQ(events[0].message, "backup snapshot 01234567 in 2 s");
}

TEST(JobEventsTest, ATriageIsJudgedByItsVerdictNotByHavingRun) {
  auto healthy = JobEvents(Request(JobKind::kTriage), Result(JobOutcome::kOk, "healthy"));
  EXPECT_EQ(healthy[0].type, ClusterEventType::kNormal);
  EXPECT_EQ(healthy[0].reason, "TriageHealthy");
  auto split = JobEvents(Request(JobKind::kTriage), Result(JobOutcome::kOk, "split-brain"));
  EXPECT_EQ(split[0].type, ClusterEventType::kWarning);
  EXPECT_EQ(split[0].reason, "TriageUnhealthy");
  EXPECT_NE(split[0].message.find("split-brain"), std::string::npos);
}

TEST(JobEventsTest, FailuresAreWarningsWithTheError) {
  JobResult error = Result(JobOutcome::kError);
  error.error = "repository locked";
  auto events = JobEvents(Request(JobKind::kBackup), error);
  EXPECT_EQ(events[0].type, ClusterEventType::kWarning);
  EXPECT_EQ(events[0].reason, "BackupError");
  EXPECT_EQ(events[0].message, "backup failed: repository locked");
  EXPECT_EQ(JobEvents(Request(JobKind::kVerify), Result(JobOutcome::kFailed))[0].reason,
            "VerifyFailed");
  EXPECT_EQ(JobEvents(Request(JobKind::kBackup), Result(JobOutcome::kAborted))[0].reason,
            "BackupAborted");
  auto skipped = JobEvents(Request(JobKind::kVerify), Result(JobOutcome::kSkipped));
  EXPECT_EQ(skipped[0].type, ClusterEventType::kNormal);
  EXPECT_EQ(skipped[0].reason, "VerifySkipped");
}

TEST(JobEventsTest, ARepairAfterATriageGetsItsOwnEvent) {
  JobResult result = Result(JobOutcome::kOk, "degraded");
  result.repair = RepairReport{};
  result.repair->result = RepairResult::kRefused;
  result.repair->error = "HARD STOP: split brain";
  auto events = JobEvents(Request(JobKind::kTriage), result);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1].reason, "RepairRefused");
  EXPECT_EQ(events[1].type, ClusterEventType::kWarning);
  result.repair->result = RepairResult::kHealed;
  result.repair->escrow_snapshot = "fedcba9876543210";
  events = JobEvents(Request(JobKind::kTriage), result);
  EXPECT_EQ(events[1].reason, "RepairHealed");
  EXPECT_EQ(events[1].type, ClusterEventType::kNormal);
  EXPECT_NE(events[1].message.find("fedcba98"), std::string::npos);
}

}  // namespace
}  // namespace hasteward::op
