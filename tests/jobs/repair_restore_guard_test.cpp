// restore triages first: the newest data on a replica is a hard refusal; split-brain and UNKNOWN
// instances need --confirm-rewind; a healthy cluster passes.
#include "jobs/repair_restore_guard.h"

#include <gtest/gtest.h>

namespace hasteward::jobs {
namespace {

engine::InstanceHealth Pg(const std::string& name, engine::InstanceRole role, bool writable,
                          const std::string& lsn) {
  engine::InstanceHealth h;
  h.instance.name = name;
  h.role = role;
  h.writable = writable;
  h.state = engine::InstanceState::kHealthy;
  h.facts = {{"lineage_timeline", "1"}, {"position_lsn", lsn}};
  return h;
}

engine::TriageReport Report(std::vector<engine::InstanceHealth> i, engine::Verdict v) {
  engine::TriageReport r;
  r.engine = platform::EngineKind::kPostgres;
  r.instances = std::move(i);
  r.verdict = v;
  return r;
}

TEST(RestoreGuardTest, HealthyClusterPasses) {
  auto r = Report({Pg("a", engine::InstanceRole::kPrimary, true, "0/5000000"),
                   Pg("b", engine::InstanceRole::kStandby, false, "0/5000000")},
                  engine::Verdict::kHealthy);
  EXPECT_TRUE(CheckRestoreTarget(r, false).ok());
}

TEST(RestoreGuardTest, NewestDataOnAReplicaIsRefusedEvenWhenConfirmed) {
  auto r = Report({Pg("a", engine::InstanceRole::kPrimary, true, "0/5000000"),
                   Pg("b", engine::InstanceRole::kStandby, false, "0/7000000")},
                  engine::Verdict::kDegraded);
  r.instances[1].state = engine::InstanceState::kStopped;
  for (bool confirm : {false, true}) {
    auto s = CheckRestoreTarget(r, confirm);
    EXPECT_EQ(s.code(), core::ErrorCode::kSafetyStop) << s.ToString();
  }
}

TEST(RestoreGuardTest, SplitBrainAndUnknownNeedConfirmRewind) {
  auto sb = Report({Pg("a", engine::InstanceRole::kPrimary, true, "0/5000000")},
                   engine::Verdict::kSplitBrain);
  EXPECT_EQ(CheckRestoreTarget(sb, false).code(), core::ErrorCode::kSplitBrain);
  EXPECT_TRUE(CheckRestoreTarget(sb, true).ok());
  auto u = Report({Pg("a", engine::InstanceRole::kPrimary, true, "0/5000000"),
                   Pg("b", engine::InstanceRole::kUnknown, false, "")},
                  engine::Verdict::kDegraded);
  u.instances[1].state = engine::InstanceState::kUnknown;
  u.instances[1].facts.clear();
  auto s = CheckRestoreTarget(u, false);
  EXPECT_EQ(s.code(), core::ErrorCode::kConfirmationRequired);
  EXPECT_NE(s.message().find("timeline 1 at 0/5000000"), std::string::npos) << s.message();
  EXPECT_TRUE(CheckRestoreTarget(u, true).ok());
}

}  // namespace
}  // namespace hasteward::jobs
