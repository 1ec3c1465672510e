// Integration: the MariaDB replication engine against a real sandbox (primary + 2 GTID replicas).
#include "engine/mariadb/mariadb_engine.h"

#include <csignal>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "engine/engine_sandbox.h"
#include "engine/mariadb/triage.h"
#include "engine/mariadb_test_util.h"
#include "engine/shared_sandbox_test.h"

namespace hasteward::engine::mariadb {
namespace {

class MariadbEngineTest : public SharedSandboxTest<MariadbEngineTest> {
 public:
  static constexpr SandboxSpec kSandbox{EngineKind::kMariadb, 3, "engmy"};

 protected:
  // Waits until `ordinal` has the primary's checksums.
  void WaitForReplica(int ordinal, const std::map<std::string, std::string>& want) {
    core::PollUntil([&] { return MariadbChecksums(cluster_, ordinal) == want; },
                    std::chrono::seconds(20), std::chrono::milliseconds(100));
    ASSERT_EQ(MariadbChecksums(cluster_, ordinal), want) << "replica " << ordinal;
  }

  MariadbEngine engine_;
};

TEST_F(MariadbEngineTest, BackupFromReplicaDropRestoreGivesOriginalChecksums) {
  WriteMariadbDataset(cluster_, 0);
  auto before = MariadbChecksums(cluster_, 0);
  WaitForReplica(1, before);
  WaitForReplica(2, before);
  // A database only on each instance (not binlogged) shows which instance served the dump.
  for (int i = 0; i < 3; ++i) {
    auto conn = ConnectTo(cluster_, i);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Execute("SET SESSION sql_log_bin = 0").ok());
    ASSERT_TRUE(conn->Execute("CREATE DATABASE IF NOT EXISTS marker_" + std::to_string(i)).ok());
  }

  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->role, InstanceRole::kReplica);
  EXPECT_EQ(plan->source.ordinal, 1);
  EXPECT_EQ(plan->virtual_filename, "mysqldump.sql");
  std::map<std::string, std::string> md;
  auto dump = DumpAll(engine_, sandbox_->platform(), cluster_, *plan, &md);
  ASSERT_TRUE(dump.ok()) << dump.status().ToString();
  EXPECT_NE(dump->find("`marker_1`"), std::string::npos);
  EXPECT_EQ(dump->find("`marker_0`"), std::string::npos);
  EXPECT_EQ(dump->find("`marker_2`"), std::string::npos);
  EXPECT_FALSE(md["gtid_position"].empty()) << "the dump records its GTID position";
  EXPECT_NE(dump->find("CREATE DEFINER"), std::string::npos) << "routines and triggers dumped";
  for (int i = 0; i < 3; ++i) {
    auto conn = ConnectTo(cluster_, i);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Execute("SET SESSION sql_log_bin = 0").ok());
    ASSERT_TRUE(conn->Execute("DROP DATABASE IF EXISTS marker_" + std::to_string(i)).ok());
  }

  RunSql(cluster_, 0, "DROP TABLE app.items");
  RunSql(cluster_, 0, "UPDATE app.blobs SET data = 'x' WHERE id < 10");
  auto refused = RestoreAll(engine_, sandbox_->platform(), cluster_, *dump, false);
  EXPECT_EQ(refused.code(), core::ErrorCode::kConfirmationRequired) << refused.ToString();
  EXPECT_NE(refused.message().find("'app'"), std::string::npos);

  auto st = RestoreAll(engine_, sandbox_->platform(), cluster_, *dump, true);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(MariadbChecksums(cluster_, 0), before);
  WaitForReplica(1, before);
  WaitForReplica(2, before);
  // The restore went into the primary: replication kept running on both replicas.
  auto again = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->role, InstanceRole::kReplica);
}

TEST_F(MariadbEngineTest, StoppedReplicationFallsBackToNextReplicaThenPrimary) {
  RunSql(cluster_, 1, "STOP SLAVE");
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->source.ordinal, 2);
  EXPECT_NE(plan->metadata["skipped"].find("thread not running"), std::string::npos);
  RunSql(cluster_, 2, "STOP SLAVE");
  plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->source.ordinal, 0);
  EXPECT_EQ(plan->role, InstanceRole::kPrimary);
  auto dump = DumpAll(engine_, sandbox_->platform(), cluster_, *plan);
  EXPECT_TRUE(dump.ok()) << dump.status().ToString();
  RunSql(cluster_, 1, "START SLAVE");
  RunSql(cluster_, 2, "START SLAVE");
}

TEST_F(MariadbEngineTest, WrongPasswordIsAuthFailed) {
  ::setenv("HS_ENGINE_TEST_WRONG_PW", "not-the-password", 1);
  cluster_.credentials.password = {"", "HS_ENGINE_TEST_WRONG_PW"};
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kAuthFailed) << plan.status().ToString();
  EXPECT_EQ(plan.status().ToString().find("not-the-password"), std::string::npos);
  EXPECT_EQ(
      engine_.PlanRestore(sandbox_->platform(), cluster_, RestoreOptions{true}).status().code(),
      core::ErrorCode::kAuthFailed);
}

TEST_F(MariadbEngineTest, DumpKilledMidStreamIsAnErrorNotEndOfStream) {
  WriteMariadbDataset(cluster_, 0);
  RunSql(cluster_, 0,
         "INSERT INTO app.items SELECT seq, REPEAT(MD5(seq), 3), 1 FROM app.seq_3000_to_60000");
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok());
  auto stream = engine_.OpenDump(sandbox_->platform(), cluster_, *plan);
  ASSERT_TRUE(stream.ok());
  std::vector<uint8_t> buf(4096);
  ASSERT_TRUE((*stream)->Read(buf).ok());
  (*stream)->process().Signal(SIGKILL);
  core::Status failure = ReadUntilFailure(**stream);
  EXPECT_EQ(failure.code(), core::ErrorCode::kDumpFailed) << "a killed dump must not end cleanly";
  EXPECT_NE(failure.message().find("signal 9"), std::string::npos) << failure.message();
}

TEST_F(MariadbEngineTest, TriageHealthyThenErrantTransactionIsSplitBrain) {
  auto report = TriageMariadb(sandbox_->platform(), cluster_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->verdict, Verdict::kHealthy)
      << (report->findings.empty() ? "" : report->findings[0].message);
  EXPECT_EQ(report->instances[0].role, InstanceRole::kPrimary);
  EXPECT_EQ(report->instances[1].role, InstanceRole::kReplica);
  // Its speed (under a second) is measured by bench/triage_latency.sh, not bounded here.
  // A write on a replica (the admin bypasses read_only) is an errant transaction.
  RunSql(cluster_, 2, "CREATE DATABASE IF NOT EXISTS errant_db");
  report = TriageMariadb(sandbox_->platform(), cluster_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->verdict, Verdict::kSplitBrain);
  bool named = false;
  for (const auto& f : report->findings) {
    named = named || (f.instance == cluster_.FindInstance(2)->name &&
                      f.message.find("errant") != std::string::npos);
  }
  EXPECT_TRUE(named);
  // Undone, so the tests after this one (in one process they share the cluster) find a healthy
  // one: the database dropped unlogged, and the replica's own binlogs (which hold the errant GTID;
  // nothing replicates from a replica) reset.
  auto conn = ConnectTo(cluster_, 2);
  ASSERT_TRUE(conn);
  // The applier may have stopped already on a primary's transaction numbered after the errant one
  // (strict GTID mode): restarted once the binlog state no longer holds it.
  for (const char* sql : {"STOP SLAVE", "SET SESSION sql_log_bin = 0", "DROP DATABASE errant_db",
                          "RESET MASTER", "START SLAVE"})
    ASSERT_TRUE(conn->Execute(sql).ok()) << sql;
  core::PollUntil(
      [&] {
        report = TriageMariadb(sandbox_->platform(), cluster_);
        return report.ok() && report->verdict == Verdict::kHealthy;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->verdict, Verdict::kHealthy)
      << (report->findings.empty() ? "" : report->findings[0].message);
}

// Last: stops instances.
TEST_F(MariadbEngineTest, ZzInstancesDownFallBackThenUnreachable) {
  ASSERT_TRUE(sandbox_->platform().StopInstance(cluster_, *cluster_.FindInstance(1)).ok());
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->source.ordinal, 2);
  EXPECT_NE(plan->metadata["skipped"].find(cluster_.FindInstance(1)->name), std::string::npos);
  ASSERT_TRUE(sandbox_->platform().StopInstance(cluster_, *cluster_.FindInstance(0)).ok());
  auto restore = engine_.PlanRestore(sandbox_->platform(), cluster_, RestoreOptions{true});
  EXPECT_EQ(restore.status().code(), core::ErrorCode::kUnreachable) << restore.status().ToString();
  ASSERT_TRUE(sandbox_->platform().StopInstance(cluster_, *cluster_.FindInstance(2)).ok());
  plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kUnreachable) << plan.status().ToString();
}

}  // namespace
}  // namespace hasteward::engine::mariadb
