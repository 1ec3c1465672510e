// The engine-neutral parts of reconfigure: --set parsing, the mode and wait-point names, and the
// plan's emptiness (an all-unchanged plan writes nothing).
#include "engine/reconfigure.h"

#include <gtest/gtest.h>

namespace hasteward::engine {
namespace {

TEST(ReconfigureTest, SetSplitsAtTheFirstEquals) {
  auto setting = ParseSettingRequest("optimizer_switch=mrr=on");
  ASSERT_TRUE(setting.ok()) << setting.status().ToString();
  EXPECT_EQ(setting->name, "optimizer_switch");
  EXPECT_EQ(setting->value, "mrr=on");
  EXPECT_EQ(ParseSettingRequest("read_only").status().code(), core::ErrorCode::kUsage);
  EXPECT_EQ(ParseSettingRequest("=ON").status().code(), core::ErrorCode::kUsage);
}

TEST(ReconfigureTest, ModeNamesRoundTripAndUnknownIsUsage) {
  for (ReplicationMode mode : {ReplicationMode::kAsync, ReplicationMode::kSemisync})
    EXPECT_EQ(*ParseReplicationMode(ReplicationModeName(mode)), mode);
  for (SemisyncWaitPoint point : {SemisyncWaitPoint::kAfterSync, SemisyncWaitPoint::kAfterCommit})
    EXPECT_EQ(*ParseSemisyncWaitPoint(SemisyncWaitPointName(point)), point);
  EXPECT_EQ(ParseReplicationMode("sync").status().code(), core::ErrorCode::kUsage);
  EXPECT_EQ(ParseSemisyncWaitPoint("AFTER_SYNC").status().code(), core::ErrorCode::kUsage);
}

TEST(ReconfigureTest, PlanOfUnchangedValuesIsEmpty) {
  ReconfigurePlan plan;
  plan.instances.push_back({});
  plan.instances[0].changes.push_back(
      {"max_connections", "100", "100", "100", ChangeAction::kUnchanged});
  EXPECT_TRUE(plan.Empty());
  plan.instances[0].changes[0].action = ChangeAction::kPersistOnly;
  EXPECT_FALSE(plan.Empty());
}

}  // namespace
}  // namespace hasteward::engine
