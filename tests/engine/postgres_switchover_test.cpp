// Integration: PostgreSQL switchover and failover (engine/postgres/switchover.h) against a real
// sandbox (a primary and two streaming standbys), with a client writing throughout.
#include <gtest/gtest.h>

#include "engine/engine_sandbox.h"
#include "engine/instance_handles.h"
#include "engine/postgres/fence.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/postgres_engine.h"
#include "engine/postgres/repair.h"
#include "engine/postgres/server_state.h"
#include "engine/postgres/standby_follow.h"
#include "engine/postgres/switchover.h"
#include "engine/shared_sandbox_test.h"
#include "support/postgres_crash.h"
#include "support/postgres_set_writer.h"

namespace hasteward::engine::postgres {
namespace {

using testing::PostgresSetWriter;

class PostgresSwitchoverTest : public SharedSandboxTest<PostgresSwitchoverTest> {
 public:
  static constexpr SandboxSpec kSandbox{EngineKind::kPostgres, 3, "pgswitch"};

 protected:
  platform::Platform& platform() { return sandbox_->platform(); }
  const platform::Instance& At(int ordinal) { return *cluster_.FindInstance(ordinal); }
  // The instance's handle, opened once for the test (as an engine run keeps its handles).
  platform::InstanceHandle& Handle(int ordinal) {
    if (handles_ == nullptr)
      handles_ = std::make_unique<InstanceHandles>(platform(), cluster_);
    auto handle = handles_->Open(At(ordinal));
    EXPECT_TRUE(handle.ok()) << handle.status().ToString();
    return **handle;
  }

  // The state of instance `ordinal`, or nullopt when it does not answer.
  std::optional<ServerState> State(int ordinal) {
    auto s = ReadServerState(Handle(ordinal));
    return s.ok() ? std::optional<ServerState>(*s) : std::nullopt;
  }
  int PrimaryOrdinal() {
    for (const auto& i : cluster_.instances) {
      auto s = State(i.ordinal);
      if (s && !s->in_recovery)
        return i.ordinal;
    }
    return -1;
  }
  core::Status Execute(int ordinal, const std::string& sql) {
    HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(Handle(ordinal)));
    return conn->Execute(sql);
  }
  // Every standby streams from the primary (the sandbox's steady state between tests).
  bool AllStreaming(int primary) {
    for (const auto& i : cluster_.instances) {
      if (i.ordinal == primary)
        continue;
      if (!WaitStreaming(Handle(i.ordinal), Handle(primary), std::chrono::seconds(30)).ok())
        return false;
    }
    return true;
  }
  SwitchoverReport Switch(const std::string& candidate, std::chrono::milliseconds timeout) {
    SwitchoverOptions options;
    options.candidate = candidate;
    options.timeout = timeout;
    auto plan = engine_.switchover()->PlanSwitchover(platform(), cluster_, options);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    if (!plan.ok())
      return {};
    return engine_.switchover()->RunSwitchover(platform(), cluster_, *plan, options);
  }

  PostgresEngine engine_;
  std::unique_ptr<InstanceHandles> handles_;
};

std::string Steps(const SwitchoverReport& report) {
  std::string out;
  for (const auto& s : report.steps) {
    out += std::string(SwitchoverStepName(s.step)) + " " + std::to_string(s.elapsed.count()) +
           " ms: " + s.detail + "\n";
  }
  return out + "status: " + report.status.ToString();
}

TEST_F(PostgresSwitchoverTest, SwitchoverUnderWritesLosesNoAcknowledgedInsert) {
  int old_primary = PrimaryOrdinal();
  ASSERT_GE(old_primary, 0);
  ASSERT_TRUE(AllStreaming(old_primary));
  auto writer = PostgresSetWriter::Start({.cluster = cluster_});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->WaitForMore(200, std::chrono::seconds(20)));
  const std::string candidate = At((old_primary + 1) % 3).name;

  SwitchoverReport report = Switch(candidate, std::chrono::seconds(30));
  ASSERT_TRUE(report.status.ok()) << Steps(report);
  EXPECT_TRUE((*writer)->WaitForMore(200, std::chrono::seconds(30))) << "writes did not resume";
  (*writer)->Stop();

  int new_primary = PrimaryOrdinal();
  ASSERT_EQ(At(new_primary).name, candidate);
  auto outcome = (*writer)->Check(new_primary);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  std::cout << "switchover " << report.total.count() << " ms, longest write gap "
            << (*writer)->longest_gap().count() << " ms, acknowledged " << outcome->acknowledged
            << "\n"
            << Steps(report) << "\n";
  EXPECT_EQ(outcome->lost, 0u) << "first lost id " << outcome->first_lost;
  EXPECT_EQ(outcome->duplicates, 0u);
  EXPECT_FALSE(report.promoted_at.empty());
  // The old primary rejoined as a standby of the new one, unfenced; so did the third instance.
  EXPECT_TRUE(AllStreaming(new_primary));
  EXPECT_FALSE(ReadFence(Handle(old_primary)).has_value());
}

TEST_F(PostgresSwitchoverTest, PausedCandidateAbortsAndOldPrimaryIsWritableAgain) {
  int old_primary = PrimaryOrdinal();
  ASSERT_GE(old_primary, 0);
  ASSERT_TRUE(AllStreaming(old_primary));
  int paused = (old_primary + 1) % 3;
  ASSERT_TRUE(Execute(paused, "SELECT pg_wal_replay_pause()").ok());
  // WAL the paused standby receives but cannot replay.
  ASSERT_TRUE(Execute(old_primary,
                      "CREATE TABLE IF NOT EXISTS paused_probe (id int); "
                      "INSERT INTO paused_probe SELECT generate_series(1, 100)")
                  .ok());

  const auto timeout = std::chrono::seconds(3);
  SwitchoverReport report = Switch(At(paused).name, timeout);
  ASSERT_FALSE(report.status.ok()) << Steps(report);
  ASSERT_TRUE(report.failed_step.has_value());
  EXPECT_EQ(*report.failed_step, SwitchoverStep::kCatchUp) << Steps(report);
  EXPECT_EQ(report.status.code(), core::ErrorCode::kTimeout);
  EXPECT_NE(report.status.message().find("writable again"), std::string::npos)
      << report.status.message();
  // Writable again within 5 s of the catch-up deadline (the run returns once it is).
  EXPECT_LT(report.total, timeout + std::chrono::seconds(5)) << Steps(report);
  EXPECT_TRUE(Execute(old_primary, "INSERT INTO paused_probe VALUES (0)").ok());
  auto state = State(paused);
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->in_recovery) << "the paused standby must never be promoted";
  EXPECT_TRUE(report.promoted_at.empty());
  EXPECT_FALSE(ReadFence(Handle(old_primary)).has_value());
  ASSERT_TRUE(Execute(paused, "SELECT pg_wal_replay_resume()").ok());
  EXPECT_TRUE(AllStreaming(old_primary));
}

TEST_F(PostgresSwitchoverTest, PlanRefusesAStandbyThatReportsNoLagButDoesNotStream) {
  int primary = PrimaryOrdinal();
  ASSERT_GE(primary, 0);
  ASSERT_TRUE(AllStreaming(primary));
  int standby = (primary + 1) % 3;
  // Its receiver points nowhere: replay "lag 0", yet it receives nothing (the Patroni trap).
  ASSERT_TRUE(Execute(standby, "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1'").ok());
  ASSERT_TRUE(Execute(standby, "SELECT pg_reload_conf()").ok());
  SwitchoverOptions options;
  options.candidate = At(standby).name;
  core::Status refused;
  for (int attempt = 0; attempt < 100 && refused.ok(); ++attempt) {
    auto plan = engine_.switchover()->PlanSwitchover(platform(), cluster_, options);
    refused = plan.ok() ? core::Status::Ok() : plan.status();
  }
  EXPECT_EQ(refused.code(), core::ErrorCode::kSafetyStop) << refused.ToString();
  EXPECT_NE(refused.message().find("not streaming"), std::string::npos) << refused.message();
  ASSERT_TRUE(FollowPrimary(Handle(standby), At(primary)).ok());
  EXPECT_TRUE(AllStreaming(primary));
}

TEST_F(PostgresSwitchoverTest, FailoverAfterKillKeepsSynchronousCommitsAndFencesOldPrimary) {
  int old_primary = PrimaryOrdinal();
  ASSERT_GE(old_primary, 0);
  ASSERT_TRUE(AllStreaming(old_primary));
  // The sandbox replicates asynchronously; a kill -9 may lose what no standby received. With a
  // synchronous standby and synchronous_commit = on, an acknowledged commit is on a standby's
  // disk: that is the guarantee this test proves (the most advanced standby holds them all).
  ASSERT_TRUE(
      Execute(old_primary, "ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (*)'").ok());
  ASSERT_TRUE(Execute(old_primary, "SELECT pg_reload_conf()").ok());
  auto writer = PostgresSetWriter::Start({.cluster = cluster_, .synchronous_commit = "on"});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->WaitForMore(200, std::chrono::seconds(20)));

  ASSERT_TRUE(testing::KillPostgresHard(At(old_primary)).ok());
  SwitchoverOptions options;
  options.timeout = std::chrono::seconds(30);
  auto plan = engine_.switchover()->PlanFailover(platform(), cluster_, options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->old_primary.name, At(old_primary).name);
  SwitchoverReport report = engine_.switchover()->RunFailover(platform(), cluster_, *plan, options);
  ASSERT_TRUE(report.status.ok()) << Steps(report);
  EXPECT_TRUE((*writer)->WaitForMore(100, std::chrono::seconds(30))) << "writes did not resume";
  (*writer)->Stop();

  int new_primary = PrimaryOrdinal();
  ASSERT_EQ(At(new_primary).name, plan->candidate.name);
  auto outcome = (*writer)->Check(new_primary);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  std::cout << "failover " << report.total.count() << " ms, acknowledged " << outcome->acknowledged
            << "\n"
            << Steps(report) << "\n";
  EXPECT_EQ(outcome->lost, 0u) << "first lost id " << outcome->first_lost;
  EXPECT_EQ(outcome->duplicates, 0u);

  // The old primary is fenced: started by anyone, it is read-only, and triage names it.
  EXPECT_TRUE(ReadFence(Handle(old_primary)).has_value());
  core::Status started = platform().StartInstance(cluster_, At(old_primary));
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto state = State(old_primary);
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->in_recovery) << "a fenced old primary must never come back writable";
  auto triage = engine_.Triage(platform(), cluster_);
  ASSERT_TRUE(triage.ok());
  bool named = false;
  for (const auto& f : triage->findings)
    named |= f.instance == At(old_primary).name && f.message.find("fenced") != std::string::npos;
  EXPECT_TRUE(named) << "triage must name the fenced old primary";

  // `repair` rejoins it (re-clone), which lifts the fence.
  HealOptions heal;
  heal.stamp = "switchovertest";
  ASSERT_TRUE(HealStandby(platform(), cluster_, At(old_primary), At(new_primary), heal).ok());
  EXPECT_FALSE(ReadFence(Handle(old_primary)).has_value());
  EXPECT_TRUE(AllStreaming(new_primary));
}

TEST_F(PostgresSwitchoverTest, FailoverRefusedWhileThePrimaryAnswers) {
  ASSERT_GE(PrimaryOrdinal(), 0);
  auto plan = engine_.switchover()->PlanFailover(platform(), cluster_, {});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kSafetyStop);
}

}  // namespace
}  // namespace hasteward::engine::postgres
