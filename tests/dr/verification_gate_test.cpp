// The gating of seed 003: restore again only for a backup not verified yet, or a failed one once
// the schedule fired.
#include "dr/verification_gate.h"

#include <gtest/gtest.h>

namespace hasteward::dr {
namespace {

Discovery WithNewest(const std::string& id) {
  Discovery discovery;
  discovery.backups = 1;
  discovery.newest_backup = DiscoveredBackup{};
  discovery.newest_backup->id = id;
  return discovery;
}

VerificationRecord Last(const std::string& id, VerificationResult result) {
  VerificationRecord record;
  record.snapshot_id = id;
  record.result = result;
  record.reason = "why";
  return record;
}

TEST(VerificationGateTest, RunsForANewBackupAndSkipsOneThatPassed) {
  EXPECT_EQ(DecideStandbyVerification(WithNewest("bb"), std::nullopt, false, false).reason,
            GateReason::kNeverVerified);
  auto newer = DecideStandbyVerification(WithNewest("bb"), Last("aa", VerificationResult::kPassed),
                                         false, false);
  EXPECT_TRUE(newer.run);
  EXPECT_EQ(newer.reason, GateReason::kNewBackup);
  auto same = DecideStandbyVerification(WithNewest("bb"), Last("bb", VerificationResult::kPassed),
                                        false, /*retry_due=*/true);
  EXPECT_FALSE(same.run) << "a passed backup is never restored again by the schedule";
  EXPECT_EQ(same.reason, GateReason::kAlreadyVerified);
}

TEST(VerificationGateTest, AFailedOrErroredOneRetriesOnlyWhenDueOrForced) {
  for (auto result : {VerificationResult::kFailed, VerificationResult::kError}) {
    auto last = Last("bb", result);
    EXPECT_EQ(DecideStandbyVerification(WithNewest("bb"), last, false, false).reason,
              GateReason::kRetryNotDue);
    EXPECT_EQ(DecideStandbyVerification(WithNewest("bb"), last, false, true).reason,
              GateReason::kRetryDue);
    EXPECT_EQ(DecideStandbyVerification(WithNewest("bb"), last, true, false).reason,
              GateReason::kForced);
  }
}

TEST(VerificationGateTest, NoBackupNeverRuns) {
  auto gate = DecideStandbyVerification(Discovery{}, std::nullopt, /*force=*/true, true);
  EXPECT_FALSE(gate.run);
  EXPECT_EQ(gate.reason, GateReason::kNoBackups);
}

}  // namespace
}  // namespace hasteward::dr
