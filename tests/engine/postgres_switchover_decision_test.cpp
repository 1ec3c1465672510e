// Unit: the pure decisions of PostgreSQL switchover and failover (engine/postgres/
// switchover_decision.h) and the triage finding for a fenced old primary.
#include <gtest/gtest.h>

#include "engine/postgres/switchover_decision.h"
#include "engine/postgres/triage.h"

namespace hasteward::engine::postgres {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace postgres_switchover_decision_test {
namespace {

StandbyPosition At(const std::string& name, int ordinal, uint64_t receive, uint64_t replay) {
  StandbyPosition p;
  p.name = name;
  p.ordinal = ordinal;
  p.reachable = true;
  p.timeline = 1;
  p.receive_lsn = receive;
  p.replay_lsn = replay;
  return p;
}

StandbyPosition Unreadable(const std::string& name, int ordinal) {
  StandbyPosition p;
  p.name = name;
  p.ordinal = ordinal;
  p.error = "connection refused";
  return p;
}

TEST(PgFailoverChoiceTest, ChoosesTheMostAdvancedByReceivedOrReplayed) {
  // db-2 received more than it replayed: what it received is on its disk and survives promotion.
  auto choice = ChooseFailoverCandidate(
      {At("db-1", 1, 0x5000, 0x5000), At("db-2", 2, 0x6000, 0x4000)}, "", false);
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  EXPECT_EQ(choice->name, "db-2");
  EXPECT_EQ(choice->lsn, 0x6000u);
  EXPECT_TRUE(choice->overridden.empty());
}

TEST(PgFailoverChoiceTest, TieGoesToTheLowestOrdinal) {
  auto choice = ChooseFailoverCandidate(
      {At("db-2", 2, 0x5000, 0x5000), At("db-1", 1, 0x5000, 0x5000)}, "", false);
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->name, "db-1");
}

TEST(PgFailoverChoiceTest, RefusesARequestedStandbyBehindAnother) {
  auto choice = ChooseFailoverCandidate(
      {At("db-1", 1, 0x4000, 0x4000), At("db-2", 2, 0x6000, 0x6000)}, "db-1", false);
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(choice.status().message().find("'db-2' (0/6000) is ahead"), std::string::npos)
      << choice.status().message();
}

TEST(PgFailoverChoiceTest, RefusesWhenAPositionCannotBeReadUnlessForced) {
  std::vector<StandbyPosition> standbys = {At("db-1", 1, 0x5000, 0x5000), Unreadable("db-2", 2)};
  auto refused = ChooseFailoverCandidate(standbys, "", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(refused.status().message().find("'db-2' cannot be read"), std::string::npos);

  auto forced = ChooseFailoverCandidate(standbys, "", true);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->name, "db-1");
  ASSERT_EQ(forced->overridden.size(), 1u);
}

TEST(PgFailoverChoiceTest, RefusesStandbysOnDifferentTimelines) {
  StandbyPosition other = At("db-2", 2, 0x4000, 0x4000);
  other.timeline = 2;
  auto choice = ChooseFailoverCandidate({At("db-1", 1, 0x5000, 0x5000), other}, "", false);
  ASSERT_FALSE(choice.ok());
  EXPECT_NE(choice.status().message().find("timeline"), std::string::npos);
}

TEST(PgFailoverChoiceTest, NoReadableStandbyIsRefusedEvenWhenForced) {
  auto choice = ChooseFailoverCandidate({Unreadable("db-1", 1)}, "", true);
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.status().code(), core::ErrorCode::kSafetyStop);
}

TEST(PgFailoverChoiceTest, UnknownRequestedStandbyIsNotFound) {
  auto choice = ChooseFailoverCandidate({At("db-1", 1, 0x5000, 0x5000)}, "db-9", false);
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.status().code(), core::ErrorCode::kNotFound);
}

TEST(PgCatchUpTest, OnlyAReplayPastTheCheckpointRecordCountsAsCaughtUp) {
  // The replay LSN is the end of the last replayed record, the checkpoint location its start.
  EXPECT_FALSE(ReplayedShutdownCheckpoint(0x4000, 0x4000));
  EXPECT_FALSE(ReplayedShutdownCheckpoint(0x3F00, 0x4000));
  EXPECT_TRUE(ReplayedShutdownCheckpoint(0x4078, 0x4000));
  EXPECT_FALSE(ReplayedShutdownCheckpoint(0x4078, 0)) << "an unknown final position never passes";
}

CandidateView Streaming() {
  return {.name = "db-1",
          .in_recovery = true,
          .receiver_status = "streaming",
          .follows_primary = true,
          .timeline = 1,
          .receive_lsn = 0x5000,
          .replay_lsn = 0x5000,
          .primary_timeline = 1,
          .primary_lsn = 0x5000};
}

TEST(PgSwitchoverCandidateTest, AStreamingStandbyWithSmallLagPasses) {
  EXPECT_EQ(SwitchoverCandidateObjection(Streaming()), "");
}

TEST(PgSwitchoverCandidateTest, NoLagWithoutStreamingIsRefused) {
  CandidateView view = Streaming();
  view.receiver_status = "none";  // restarted, receiver not connected yet: "lag 0" means nothing
  EXPECT_NE(SwitchoverCandidateObjection(view).find("not streaming"), std::string::npos);
}

TEST(PgSwitchoverCandidateTest, RefusesAPrimaryAnotherUpstreamATimelineOrLargeLag) {
  CandidateView primary = Streaming();
  primary.in_recovery = false;
  EXPECT_NE(SwitchoverCandidateObjection(primary), "");
  CandidateView elsewhere = Streaming();
  elsewhere.follows_primary = false;
  EXPECT_NE(SwitchoverCandidateObjection(elsewhere), "");
  CandidateView forked = Streaming();
  forked.timeline = 2;
  EXPECT_NE(SwitchoverCandidateObjection(forked), "");
  CandidateView behind = Streaming();
  behind.primary_lsn = behind.replay_lsn + kMaxSwitchoverLagBytes + 1;
  EXPECT_NE(SwitchoverCandidateObjection(behind).find("behind"), std::string::npos);
}

TEST(PgTriageFenceTest, AFencedOldPrimaryIsNamedAndDegradesTheCluster) {
  InstanceHealth primary;
  primary.instance.name = "db-1";
  primary.state = InstanceState::kHealthy;
  primary.role = InstanceRole::kPrimary;
  primary.writable = true;
  InstanceHealth fenced;
  fenced.instance.name = "db-0";
  fenced.state = InstanceState::kStopped;
  fenced.facts["hasteward_fence"] = "old primary fenced by a failover to 'db-1'";
  std::vector<Finding> findings;
  Verdict verdict = PostgresVerdict({primary, fenced}, &findings);
  EXPECT_EQ(verdict, Verdict::kDegraded);
  bool named = false;
  for (const auto& f : findings)
    named |= f.instance == "db-0" && f.message.find("fenced by hasteward") != std::string::npos;
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace postgres_switchover_decision_test
}  // namespace hasteward::engine::postgres
