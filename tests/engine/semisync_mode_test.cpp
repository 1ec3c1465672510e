// The replication mode as semi-sync variables per role, a --set that contradicts the mode, and
// triage's comparison of the running and persisted mode (one verdict per case).
#include "engine/mariadb/semisync_mode.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

InstanceHealth Health(InstanceRole role, const std::string& running, const std::string& persisted) {
  InstanceHealth health;
  health.instance.name = role == InstanceRole::kPrimary ? "db-0" : "db-1";
  health.role = role;
  health.state = InstanceState::kHealthy;
  const char* name =
      role == InstanceRole::kPrimary ? kSemisyncMasterEnabled : kSemisyncSlaveEnabled;
  health.facts[name] = running;
  if (!persisted.empty())
    health.facts[std::string(kPersistedPrefix) + name] = persisted;
  health.facts[kSemisyncWaitPoint] = "AFTER_SYNC";
  health.facts[std::string(kPersistedPrefix) + kSemisyncWaitPoint] = "AFTER_SYNC";
  return health;
}

TEST(SemisyncModeTest, ModeMapsToEachRolesVariables) {
  EXPECT_EQ(SemisyncSettings(ReplicationMode::kSemisync, SemisyncWaitPoint::kAfterSync, true),
            (OptionOverrides{{kSemisyncMasterEnabled, "ON"}, {kSemisyncWaitPoint, "AFTER_SYNC"}}));
  EXPECT_EQ(SemisyncSettings(ReplicationMode::kSemisync, SemisyncWaitPoint::kAfterCommit, false),
            (OptionOverrides{{kSemisyncSlaveEnabled, "ON"}}));
  EXPECT_EQ(SemisyncSettings(ReplicationMode::kAsync, SemisyncWaitPoint::kAfterSync, true),
            (OptionOverrides{{kSemisyncMasterEnabled, "OFF"}}));
  EXPECT_EQ(SemisyncSettings(ReplicationMode::kAsync, SemisyncWaitPoint::kAfterSync, false),
            (OptionOverrides{{kSemisyncSlaveEnabled, "OFF"}}));
}

TEST(SemisyncModeTest, ConflictingSetIsRefusedAndAgreeingSetIsKept) {
  OptionOverrides async_primary{{kSemisyncMasterEnabled, "OFF"}};
  auto refused = MergeModeSettings(async_primary, {{kSemisyncMasterEnabled, "ON"}}, "db-0");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(refused.status().message().find(kSemisyncMasterEnabled), std::string::npos);
  auto kept = MergeModeSettings(async_primary,
                                {{kSemisyncMasterEnabled, "0"}, {"max_connections", "90"}}, "db-0");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ((*kept)[kSemisyncMasterEnabled], "OFF");
  EXPECT_EQ((*kept)["max_connections"], "90");
}

TEST(SemisyncModeTest, InstanceChecksHaveDistinctVerdicts) {
  EXPECT_EQ(CheckInstanceSemisync(Health(InstanceRole::kPrimary, "ON", "1")),
            SemisyncConfigCheck::kAgree);
  EXPECT_EQ(CheckInstanceSemisync(Health(InstanceRole::kReplica, "ON", "OFF")),
            SemisyncConfigCheck::kDisagree);
  EXPECT_EQ(CheckInstanceSemisync(Health(InstanceRole::kReplica, "OFF", "")),
            SemisyncConfigCheck::kConfigUnreadable);
  InstanceHealth unreadable = Health(InstanceRole::kPrimary, "ON", "ON");
  unreadable.state = InstanceState::kUnknown;
  EXPECT_EQ(CheckInstanceSemisync(unreadable), SemisyncConfigCheck::kEngineUnreadable);
  InstanceHealth wait_point = Health(InstanceRole::kPrimary, "ON", "ON");
  wait_point.facts[std::string(kPersistedPrefix) + kSemisyncWaitPoint] = "AFTER_COMMIT";
  EXPECT_EQ(CheckInstanceSemisync(wait_point), SemisyncConfigCheck::kDisagree);
}

TEST(SemisyncModeTest, PrimaryOnReplicaOffIsDegraded) {
  std::vector<InstanceHealth> instances{Health(InstanceRole::kPrimary, "ON", "ON"),
                                        Health(InstanceRole::kReplica, "OFF", "OFF")};
  std::vector<Finding> findings;
  Verdict verdict = Verdict::kHealthy;
  AddSemisyncConfigFindings(&instances, &findings, &verdict);
  EXPECT_EQ(verdict, Verdict::kDegraded);
  EXPECT_EQ(instances[0].Fact(kSemisyncConfigFact), "agree");
  EXPECT_EQ(instances[1].Fact(kSemisyncConfigFact), "primary-on-replica-off");
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].instance, "db-1");
}

TEST(SemisyncModeTest, AgreeingClusterAddsNoFinding) {
  std::vector<InstanceHealth> instances{Health(InstanceRole::kPrimary, "OFF", "OFF"),
                                        Health(InstanceRole::kReplica, "OFF", "0")};
  std::vector<Finding> findings;
  Verdict verdict = Verdict::kHealthy;
  AddSemisyncConfigFindings(&instances, &findings, &verdict);
  EXPECT_EQ(verdict, Verdict::kHealthy);
  EXPECT_TRUE(findings.empty());
}

}  // namespace
}  // namespace hasteward::engine::mariadb
