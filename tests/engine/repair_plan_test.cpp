// The safety table (engine/repair.h) on hand-built triage reports: every row's outcome, the
// authority rule (never heal the most advanced instance, even with --force) and fail-closed
// handling of UNKNOWN positions.
#include <gtest/gtest.h>

#include "engine/repair.h"

namespace hasteward::engine {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace repair_plan_test {
namespace {

using platform::EngineKind;

InstanceHealth Node(int ordinal, InstanceState state, InstanceRole role, bool writable,
                    std::map<std::string, std::string> facts = {}) {
  InstanceHealth h;
  h.instance.name = "db-" + std::to_string(ordinal);
  h.instance.ordinal = ordinal;
  h.instance.labels["role"] = ordinal == 0 ? "primary" : "replica";
  h.state = state;
  h.role = role;
  h.writable = writable;
  h.facts = std::move(facts);
  return h;
}

std::map<std::string, std::string> Pg(const std::string& tl, const std::string& lsn,
                                      const std::string& history = "") {
  return {{"lineage_timeline", tl}, {"position_lsn", lsn}, {"history", history}};
}

TriageReport Report(EngineKind kind, Verdict v, std::vector<InstanceHealth> instances) {
  TriageReport r;
  r.cluster = "c";
  r.ns = "n";
  r.engine = kind;
  r.verdict = v;
  r.instances = std::move(instances);
  return r;
}

TriageReport PgDegraded() {
  return Report(
      EngineKind::kPostgres, Verdict::kDegraded,
      {Node(0, InstanceState::kHealthy, InstanceRole::kPrimary, true, Pg("1", "0/5000000")),
       Node(1, InstanceState::kHealthy, InstanceRole::kStandby, false, Pg("1", "0/5000000")),
       Node(2, InstanceState::kStopped, InstanceRole::kUnknown, false, Pg("1", "0/3000000"))});
}

TriageReport PgSplitBrain() {
  auto r = Report(
      EngineKind::kPostgres, Verdict::kSplitBrain,
      {Node(0, InstanceState::kHealthy, InstanceRole::kPrimary, true, Pg("1", "0/9000000")),
       Node(1, InstanceState::kHealthy, InstanceRole::kPrimary, true,
            Pg("2", "0/8000000", "1:0/6000000")),
       Node(2, InstanceState::kHealthy, InstanceRole::kStandby, false, Pg("1", "0/9000000"))});
  r.instances[2].facts["wal_receiver_status"] = "streaming";
  return r;
}

TEST(RepairPlanTest, SplitBrainUntargetedIsHardStopEvenWithForce) {
  for (bool force : {false, true}) {
    auto p = PlanRepair(PgSplitBrain(), {std::nullopt, force});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), core::ErrorCode::kSplitBrain);
    EXPECT_NE(p.status().message().find("HARD STOP"), std::string::npos);
  }
}

TEST(RepairPlanTest, SplitBrainTargetedNeedsForceThenCapturesEveryRunningInstance) {
  auto p = PlanRepair(PgSplitBrain(), {1, false});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::ErrorCode::kSplitBrain);
  EXPECT_NE(p.status().hint().find("--force"), std::string::npos);
  auto forced = PlanRepair(PgSplitBrain(), {1, true});
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  ASSERT_EQ(forced->heals.size(), 1u);
  EXPECT_EQ(forced->heals[0].target.name, "db-1");
  EXPECT_EQ(forced->donor->name, "db-0");  // the inventory's primary among two writable
  EXPECT_EQ(forced->diverged.size(), 3u);
}

TEST(RepairPlanTest, TargetIsPrimaryIsHardStopEvenWithForce) {
  for (bool force : {false, true}) {
    auto p = PlanRepair(PgDegraded(), {0, force});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), core::ErrorCode::kSafetyStop);
    EXPECT_NE(p.status().message().find("is the primary"), std::string::npos);
  }
  auto sb = PlanRepair(PgSplitBrain(), {0, true});
  ASSERT_FALSE(sb.ok());
  EXPECT_EQ(sb.status().code(), core::ErrorCode::kSafetyStop);
}

TEST(RepairPlanTest, HealthyTargetSkippedUnlessForced) {
  auto p = PlanRepair(PgDegraded(), {1, false});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->heals.empty());
  ASSERT_EQ(p->skipped.size(), 1u);
  auto forced = PlanRepair(PgDegraded(), {1, true});
  ASSERT_TRUE(forced.ok());
  ASSERT_EQ(forced->heals.size(), 1u);
}

TEST(RepairPlanTest, UntargetedHealsUnhealthyAndSkipsHealthy) {
  auto p = PlanRepair(PgDegraded(), {});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->heals.size(), 1u);
  EXPECT_EQ(p->heals[0].target.name, "db-2");
  EXPECT_EQ(p->skipped.size(), 1u);
}

TEST(RepairPlanTest, NoHealthyDonorAborts) {
  auto r = PgDegraded();
  r.instances[0].state = InstanceState::kStopped;
  r.instances[0].writable = false;
  for (std::optional<int> target : {std::optional<int>(), std::optional<int>(2)}) {
    auto p = PlanRepair(r, {target, false});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), core::ErrorCode::kNoDonor);
  }
}

TEST(RepairPlanTest, AuthorityIsNeverHealedEvenWithForce) {
  auto r = PgDegraded();
  r.instances[2].facts = Pg("1", "0/7000000");  // stopped replica ahead of the primary
  for (bool force : {false, true}) {
    auto p = PlanRepair(r, {2, force});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), core::ErrorCode::kSafetyStop);
    EXPECT_NE(p.status().message().find("authority"), std::string::npos);
  }
  EXPECT_FALSE(PlanRepair(r, {}).ok());
}

TEST(RepairPlanTest, UnknownPositionFailsClosedButMissingDataDirHeals) {
  auto r = PgDegraded();
  r.instances[2].facts = {{"controldata_error", "timeout"}};
  auto p = PlanRepair(r, {2, true});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(p.status().message().find("UNKNOWN"), std::string::npos);
  r.instances[2].facts["data_dir_state"] = "missing";
  EXPECT_TRUE(PlanRepair(r, {2, false}).ok());
  r.instances[2].state = InstanceState::kUnknown;  // running but unreadable: never healed
  auto u = PlanRepair(r, {});
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->heals.empty());
}

TEST(RepairPlanTest, MariadbReplicaAheadOfPrimaryIsTheAuthority) {
  auto r = Report(EngineKind::kMariadb, Verdict::kDegraded,
                  {Node(0, InstanceState::kHealthy, InstanceRole::kPrimary, true,
                        {{"gtid_binlog_pos", "0-1-10"}}),
                   Node(1, InstanceState::kDegraded, InstanceRole::kReplica, false,
                        {{"gtid_current_pos", "0-1-12"}})});
  auto p = PlanRepair(r, {1, true});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("authority"), std::string::npos);
  r.instances[1].facts["gtid_current_pos"] = "0-1-8";
  EXPECT_TRUE(PlanRepair(r, {1, false}).ok());
}

std::map<std::string, std::string> Gal(const std::string& uuid, const std::string& seqno) {
  return {{"position_uuid", uuid}, {"position_seqno", seqno}, {"position_source", "wsrep-recover"}};
}

constexpr char kUuid[] = "11111111-2222-3333-4444-555555555555";

TEST(RepairPlanTest, GaleraBootstrapsFromTheHighestSeqno) {
  auto r = Report(
      EngineKind::kGalera, Verdict::kDegraded,
      {Node(0, InstanceState::kStopped, InstanceRole::kGaleraNode, false, Gal(kUuid, "10")),
       Node(1, InstanceState::kStopped, InstanceRole::kGaleraNode, false, Gal(kUuid, "12")),
       Node(2, InstanceState::kStopped, InstanceRole::kGaleraNode, false, Gal(kUuid, "11"))});
  auto p = PlanRepair(r, {});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(p->bootstrap);
  EXPECT_EQ(p->bootstrap->name, "db-1");
  EXPECT_EQ(p->heals.size(), 2u);
  auto targeted = PlanRepair(r, {1, true});
  EXPECT_EQ(targeted.status().code(), core::ErrorCode::kNoDonor);
}

TEST(RepairPlanTest, GaleraBootstrapRefusesWhileAPositionIsUnknown) {
  // The node that failed wsrep-recover may be the most advanced: never bootstrap from the best
  // of the nodes that answered.
  auto r = Report(
      EngineKind::kGalera, Verdict::kDegraded,
      {Node(0, InstanceState::kStopped, InstanceRole::kGaleraNode, false, Gal(kUuid, "10")),
       Node(1, InstanceState::kStopped, InstanceRole::kGaleraNode, false,
            {{"position_error", "wsrep-recover timed out"}}),
       Node(2, InstanceState::kStopped, InstanceRole::kGaleraNode, false, Gal(kUuid, "11"))});
  auto p = PlanRepair(r, {});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(p.status().message().find("'db-1'"), std::string::npos);
}

TEST(RepairPlanTest, GaleraBootstrapRefusesMismatchedUuids) {
  auto r =
      Report(EngineKind::kGalera, Verdict::kDegraded,
             {Node(0, InstanceState::kStopped, InstanceRole::kGaleraNode, false, Gal(kUuid, "10")),
              Node(1, InstanceState::kStopped, InstanceRole::kGaleraNode, false,
                   Gal("99999999-2222-3333-4444-555555555555", "50"))});
  auto p = PlanRepair(r, {});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::ErrorCode::kSplitBrain);
}

TEST(RepairPlanTest, GaleraNodeAheadOfTheClusterIsNotHealed) {
  auto r = Report(
      EngineKind::kGalera, Verdict::kDegraded,
      {Node(0, InstanceState::kHealthy, InstanceRole::kGaleraNode, true, Gal(kUuid, "10")),
       Node(1, InstanceState::kStopped, InstanceRole::kGaleraNode, false, Gal(kUuid, "14"))});
  r.instances[0].facts["wsrep_cluster_status"] = "Primary";
  auto p = PlanRepair(r, {1, true});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::ErrorCode::kSafetyStop);
  r.instances[1].facts = Gal(kUuid, "9");
  EXPECT_TRUE(PlanRepair(r, {}).ok());
}

}  // namespace
}  // namespace repair_plan_test
}  // namespace hasteward::engine
