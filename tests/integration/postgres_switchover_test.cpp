// PostgreSQL switchover and failover on real sandbox clusters (a primary and two streaming
// standbys), driving the hasteward binary with a client writing unique ids throughout
// (support/postgres_set_writer.h): every acknowledged id is on the new primary afterwards and none
// twice, after a switchover and after a failover from a kill -9 of the primary (with a synchronous
// standby: the guarantee covers commits acknowledged with synchronous_commit = on); a candidate
// whose replay is paused makes the switchover wait out --timeout and abort at catch-up, with the
// old primary writable again within 5 s and the candidate never promoted; after the failover the
// old primary stays fenced (read-only when started; triage names it) and, when the kill left it WAL
// no standby received, repair refuses without --force and with it keeps its data directory;
// --dry-run changes nothing.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "support/cluster_env.h"
#include "support/hasteward_env.h"
#include "support/postgres_crash.h"
#include "support/postgres_set_writer.h"
#include "support/replaced_data.h"
#include "support/sandbox_cluster.h"
#include "support/switchover_kill.h"
#include "support/trim.h"

namespace hasteward::testing {
namespace {

using Json = nlohmann::json;
using platform::EngineKind;

constexpr int kTimeoutExit = 27;  // docs/exit-codes.md
constexpr int kDegradedExit = 4;  // triage: degraded
constexpr int kSplitBrainExit = 5;
constexpr int kSafetyStopExit = 24;

class PostgresSwitchoverCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = SandboxCluster::Create(
        {.engine = EngineKind::kPostgres, .instances = 3, .name = "pgsw", .ns = "sw"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    db_ = std::move(*c);
  }

  CmdResult Hs(const std::string& verb, std::vector<std::string> args = {}) {
    args.insert(args.begin(), verb);
    return ClusterEnv::On(hs_, *db_, "cnpg").Hs(std::move(args));
  }

  // The trimmed output of `sql` on instance `ordinal`, or "ERROR: ..." when it fails.
  std::string Sql(int ordinal, const std::string& sql) {
    auto r = db_->Sql(ordinal, sql);
    return r.ok() ? Trim(*r) : "ERROR: " + r.status().message();
  }
  bool InRecovery(int ordinal) { return Sql(ordinal, "SELECT pg_is_in_recovery()") == "t"; }

  // Waits until both standbys of `primary` stream from it (pg_stat_replication).
  bool StandbysStream(int primary) {
    const core::Clock& clock = core::SystemClock::Get();
    auto deadline = clock.Monotonic() + std::chrono::seconds(30);
    while (clock.Monotonic() < deadline) {
      if (Sql(primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "2")
        return true;
      clock.SleepFor(std::chrono::milliseconds(100));
    }
    return false;
  }

  void Report(const char* what, const PostgresSetWriter& writer,
              const PostgresSetWriter::Outcome& outcome, const Json& report) {
    std::printf(
        "%s set test: %zu acknowledged, %zu present, %zu lost, %zu duplicated, longest "
        "write gap %.3f s, %s %.3f s\n",
        what, outcome.acknowledged, outcome.present, outcome.lost, outcome.duplicates,
        static_cast<double>(writer.longest_gap().count()) / 1000.0, what,
        report["total_seconds"].get<double>());
  }

  HastewardEnv hs_{"hs-pgswitchover-", "switchover-test"};
  std::unique_ptr<SandboxCluster> db_;
};

TEST_F(PostgresSwitchoverCliTest, SwitchoverUnderWritesLosesNoAcknowledgedId) {
  ASSERT_TRUE(StandbysStream(0));
  auto writer = PostgresSetWriter::Start({.cluster = db_->cluster()});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->WaitForMore(200, std::chrono::seconds(30)));
  auto r = Hs("switchover", {"--to", db_->instance(1).name, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json report = Json::parse(r.out);
  EXPECT_EQ(report["candidate"], db_->instance(1).name);
  EXPECT_EQ(report["steps"].size(), 7U) << r.out;
  ASSERT_TRUE((*writer)->WaitForMore(200, std::chrono::seconds(30)))
      << "the writer never reached the new primary";
  (*writer)->Stop();
  auto outcome = (*writer)->Check(1);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  Report("switchover", **writer, *outcome, report);
  EXPECT_EQ(outcome->lost, 0U) << "first lost id " << outcome->first_lost;
  EXPECT_EQ(outcome->duplicates, 0U);
  EXPECT_TRUE(InRecovery(0)) << "the old primary must be a standby now";
  EXPECT_FALSE(InRecovery(1));
  EXPECT_TRUE(StandbysStream(1));
  auto triage = Hs("triage");
  EXPECT_EQ(triage.exit_code, 0) << triage.out << triage.err;
}

TEST_F(PostgresSwitchoverCliTest, PausedCandidateAbortsAtCatchUpAndTheOldPrimaryTakesWritesAgain) {
  ASSERT_TRUE(StandbysStream(0));
  ASSERT_EQ(Sql(1, "SELECT pg_wal_replay_pause()"), "");
  ASSERT_EQ(Sql(0, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)"), "");
  auto r = Hs("switchover", {"--to", db_->instance(1).name, "--timeout", "3s", "--json"});
  const core::Clock& clock = core::SystemClock::Get();
  auto aborted = clock.Monotonic();
  ASSERT_EQ(r.exit_code, kTimeoutExit) << r.out << r.err;
  EXPECT_EQ(Json::parse(r.out)["failed_step"], "catch-up") << r.out;
  std::string wrote;
  while (clock.Monotonic() - aborted < std::chrono::seconds(5)) {
    wrote = Sql(0, "INSERT INTO t VALUES (2)");
    if (wrote.empty())
      break;
    clock.SleepFor(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(wrote, "") << "the old primary is not writable 5 s after the abort";
  EXPECT_TRUE(InRecovery(1)) << "the paused candidate was promoted";
  ASSERT_EQ(Sql(1, "SELECT pg_wal_replay_resume()"), "");
  EXPECT_TRUE(StandbysStream(0));
  auto triage = Hs("triage");
  EXPECT_EQ(triage.exit_code, 0) << triage.out << triage.err;
}

TEST_F(PostgresSwitchoverCliTest, FailoverAfterKillKeepsSynchronousCommitsAndFencesOldPrimary) {
  ASSERT_TRUE(StandbysStream(0));
  // The sandbox replicates asynchronously, where a kill -9 may lose what no standby received. With
  // a synchronous standby, a commit acknowledged under synchronous_commit = on is on a standby's
  // disk; failover promotes the most advanced standby, so it holds all of them.
  ASSERT_EQ(Sql(0, "ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (*)'"), "");
  ASSERT_EQ(Sql(0, "SELECT pg_reload_conf()"), "t");
  auto writer = PostgresSetWriter::Start({.cluster = db_->cluster(), .synchronous_commit = "on"});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->WaitForMore(200, std::chrono::seconds(30)));
  ASSERT_TRUE(KillPostgresHard(db_->instance(0)).ok());
  auto r = Hs("failover", {"--require-sync", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json report = Json::parse(r.out);
  EXPECT_EQ(report["old_primary"], db_->instance(0).name);
  EXPECT_NE(r.out.find("synchronous (ANY 1 (*)), every standby read"), std::string::npos) << r.out;
  ASSERT_TRUE((*writer)->WaitForMore(100, std::chrono::seconds(30)))
      << "the writer never reached the new primary";
  (*writer)->Stop();
  int promoted = report["candidate"] == db_->instance(1).name ? 1 : 2;
  auto outcome = (*writer)->Check(promoted);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  Report("failover", **writer, *outcome, report);
  EXPECT_EQ(outcome->lost, 0U) << "first lost id " << outcome->first_lost;
  EXPECT_EQ(outcome->duplicates, 0U);
  // Fenced until repair: standby.signal in its data directory, and triage says why.
  const std::string data_dir = db_->instance(0).data_dir;
  EXPECT_TRUE(std::filesystem::exists(data_dir + "/standby.signal"));
  auto triage = Hs("triage");
  const std::string said = triage.out + triage.err;
  EXPECT_NE(said.find("fenced by hasteward"), std::string::npos) << said;
  // The kill can leave WAL on the old primary that no standby received (commits still waiting
  // for their synchronous acknowledgement, never acknowledged): then the timelines forked, triage
  // says split-brain, and a repair must not discard that WAL without consent.
  const bool forked = said.find("timelines have forked") != std::string::npos;
  EXPECT_EQ(triage.exit_code, forked ? kSplitBrainExit : kDegradedExit) << said;
  std::vector<std::string> repair_args = {"-i", "0", "--no-escrow", "--heal-timeout", "120s"};
  if (forked) {
    auto refused = Hs("repair", repair_args);
    EXPECT_EQ(refused.exit_code, kSplitBrainExit) << refused.out << refused.err;
    EXPECT_TRUE(std::filesystem::exists(data_dir + "/standby.signal")) << "a refusal changed it";
    repair_args.emplace_back("--force");
  }
  // `repair` re-clones it from the new primary, which lifts the fence.
  auto repair = Hs("repair", repair_args);
  EXPECT_EQ(repair.exit_code, 0) << repair.out << repair.err;
  EXPECT_TRUE(InRecovery(0));
  if (forked) {  // nothing captured it (--no-escrow, and it was stopped): its data was kept
    EXPECT_EQ(ReplacedDataDirectories(data_dir).size(), 1U) << repair.out << repair.err;
  }
  auto healed = Hs("triage");
  EXPECT_EQ(healed.exit_code, 0) << healed.out << healed.err;
}

// --require-sync promotes only when the old primary's commits waited for a standby: the sandbox
// commits asynchronously, so after a kill -9 the failover is refused and nothing is promoted.
TEST_F(PostgresSwitchoverCliTest, RequireSyncRefusesToFailOverAnAsynchronousPrimary) {
  ASSERT_TRUE(StandbysStream(0));
  ASSERT_TRUE(KillPostgresHard(db_->instance(0)).ok());
  auto r = Hs("failover", {"--require-sync"});
  EXPECT_EQ(r.exit_code, kSafetyStopExit) << r.out << r.err;
  EXPECT_NE(r.err.find("synchronous_standby_names is empty"), std::string::npos) << r.err;
  EXPECT_TRUE(InRecovery(1));
  EXPECT_TRUE(InRecovery(2));
}

TEST_F(PostgresSwitchoverCliTest, DryRunPrintsThePlanAndChangesNothing) {
  ASSERT_TRUE(StandbysStream(0));
  auto r = Hs("switchover", {"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("catch-up"), std::string::npos) << r.out;
  EXPECT_FALSE(InRecovery(0));
  EXPECT_TRUE(InRecovery(1));
  EXPECT_TRUE(InRecovery(2));
  EXPECT_TRUE(StandbysStream(0));
}

// hasteward killed (kill -9 at a failpoint) right after each step of a switchover: at most one
// instance accepts writes afterwards, and the same switchover run again finishes it.
class PostgresSwitchoverKillTest : public PostgresSwitchoverCliTest,
                                   public ::testing::WithParamInterface<std::string> {
 protected:
  int Writable() {
    int writable = 0;
    for (int n = 0; n < 3; ++n)
      writable += Sql(n, "SELECT pg_is_in_recovery()") == "f" ? 1 : 0;
    return writable;
  }
};

TEST_P(PostgresSwitchoverKillTest, LeavesAtMostOneWritableInstanceAndARerunFinishes) {
  ASSERT_TRUE(StandbysStream(0));
  const std::string candidate = db_->instance(1).name;
  auto killed = ClusterEnv::On(hs_, *db_, "cnpg")
                    .Hs({"switchover", "--to", candidate},
                        {{"HASTEWARD_FAILPOINT", "switchover-after-" + GetParam()}});
  ASSERT_NE(killed.exit_code, 0) << "the failpoint did not fire: " << killed.out << killed.err;
  EXPECT_LE(Writable(), 1) << "two writable instances after a kill after " << GetParam();
  auto rerun = Hs("switchover", {"--to", candidate, "--json"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  if (GetParam() != "pre-check") {  // from the fence on, the rerun goes on where the kill struck
    EXPECT_NE(rerun.out.find(RerunSays(GetParam())), std::string::npos) << rerun.out;
  }
  EXPECT_FALSE(InRecovery(1)) << rerun.out;
  EXPECT_TRUE(InRecovery(0)) << rerun.out;
  EXPECT_TRUE(StandbysStream(1)) << rerun.out;
  auto triage = Hs("triage");
  EXPECT_EQ(triage.exit_code, 0) << triage.out << triage.err;
}

INSTANTIATE_TEST_SUITE_P(AfterEveryStep, PostgresSwitchoverKillTest, EverySwitchoverStep(),
                         SwitchoverStepTestName);

}  // namespace
}  // namespace hasteward::testing
