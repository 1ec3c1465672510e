// Integration: the Galera engine against a real 3-node sandbox (galera-4).
#include "engine/galera/galera_engine.h"

#include <csignal>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "engine/engine_sandbox.h"
#include "engine/galera/triage.h"
#include "engine/mariadb_test_util.h"

namespace hasteward::engine::galera {
namespace {

using mariadb::ConnectTo;
using mariadb::MariadbChecksums;
using mariadb::RunSql;

class GaleraEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::signal(SIGPIPE, SIG_IGN);
    auto s = EngineSandbox::Up(EngineKind::kGalera, 3, "enggal");
    // Not an assertion here: gtest reports every test of a suite whose SetUpTestSuite failed as
    // "[  SKIPPED ]", and ctest counts that as skipped, not failed. SetUp fails each test instead.
    if (!s.ok()) {
      suite_error_ = s.status().ToString();
      return;
    }
    sandbox_ = std::move(s).value().release();
  }
  static void TearDownTestSuite() {
    delete sandbox_;
    sandbox_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(sandbox_, nullptr) << "the suite's sandbox did not start: " << suite_error_;
    cluster_ = sandbox_->cluster();
  }
  void WaitForNode(int ordinal, const std::map<std::string, std::string>& want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (MariadbChecksums(cluster_, ordinal) != want &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(MariadbChecksums(cluster_, ordinal), want) << "node " << ordinal;
  }
  // A table that exists only on one node (wsrep_on=OFF for the session) marks the dump's source.
  void Mark(int ordinal, bool create) {
    auto conn = ConnectTo(cluster_, ordinal);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Execute("SET SESSION wsrep_on = OFF").ok());
    std::string db = "marker_" + std::to_string(ordinal);
    ASSERT_TRUE(conn->Execute(create ? "CREATE DATABASE IF NOT EXISTS " + db
                                     : "DROP DATABASE IF EXISTS " + db)
                    .ok());
  }

  inline static std::string suite_error_;
  static EngineSandbox* sandbox_;
  platform::Cluster cluster_;
  GaleraEngine engine_;
};

EngineSandbox* GaleraEngineTest::sandbox_ = nullptr;

TEST_F(GaleraEngineTest, BackupFromSyncedNonFirstNodeDropRestoreGivesOriginalChecksums) {
  mariadb::WriteMariadbDataset(cluster_, 0);
  auto before = MariadbChecksums(cluster_, 0);
  WaitForNode(1, before);
  WaitForNode(2, before);
  for (int i = 0; i < 3; ++i)
    Mark(i, true);

  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->role, InstanceRole::kGaleraNode);
  EXPECT_EQ(plan->source.ordinal, 1);
  EXPECT_EQ(plan->metadata["wsrep_local_state_comment"], "Synced");
  EXPECT_FALSE(plan->metadata["wsrep_last_committed"].empty());
  auto dump = mariadb::DumpAll(engine_, sandbox_->platform(), cluster_, *plan);
  ASSERT_TRUE(dump.ok()) << dump.status().ToString();
  EXPECT_NE(dump->find("`marker_1`"), std::string::npos);
  EXPECT_EQ(dump->find("`marker_0`"), std::string::npos);
  EXPECT_EQ(dump->find("`marker_2`"), std::string::npos);
  for (int i = 0; i < 3; ++i)
    Mark(i, false);

  RunSql(cluster_, 0, "DROP TABLE app.items");
  RunSql(cluster_, 2, "UPDATE app.blobs SET data = 'x' WHERE id < 10");
  auto refused = mariadb::RestoreAll(engine_, sandbox_->platform(), cluster_, *dump, false);
  EXPECT_EQ(refused.code(), core::ErrorCode::kConfirmationRequired) << refused.ToString();
  auto st = mariadb::RestoreAll(engine_, sandbox_->platform(), cluster_, *dump, true);
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (int i = 0; i < 3; ++i)
    WaitForNode(i, before);
}

TEST_F(GaleraEngineTest, WrongPasswordIsAuthFailed) {
  ::setenv("HS_ENGINE_TEST_WRONG_PW", "not-the-password", 1);
  cluster_.credentials.password = {"", "HS_ENGINE_TEST_WRONG_PW"};
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kAuthFailed) << plan.status().ToString();
  EXPECT_EQ(plan.status().ToString().find("not-the-password"), std::string::npos);
}

TEST_F(GaleraEngineTest, DumpKilledMidStreamIsAnErrorNotEndOfStream) {
  mariadb::WriteMariadbDataset(cluster_, 0);
  RunSql(cluster_, 0,
         "INSERT INTO app.items SELECT seq, REPEAT(MD5(seq), 3), 1 FROM app.seq_3000_to_60000");
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok());
  auto stream = engine_.OpenDump(sandbox_->platform(), cluster_, *plan);
  ASSERT_TRUE(stream.ok());
  std::vector<uint8_t> buf(4096);
  ASSERT_TRUE((*stream)->Read(buf).ok());
  (*stream)->process().Signal(SIGKILL);
  core::Status failure = mariadb::ReadUntilFailure(**stream);
  EXPECT_EQ(failure.code(), core::ErrorCode::kDumpFailed) << "a killed dump must not end cleanly";
}

TEST_F(GaleraEngineTest, TriageOfHealthyClusterIsHealthyAndFast) {
  auto report = TriageGalera(sandbox_->platform(), cluster_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->verdict, Verdict::kHealthy);
  for (const auto& i : report->instances) {
    EXPECT_EQ(i.state, InstanceState::kHealthy) << i.instance.name;
    EXPECT_FALSE(i.facts.at("grastate_uuid").empty()) << i.instance.name;
  }
  EXPECT_LT(report->took, std::chrono::milliseconds(1000));
  std::cout << "galera triage of 3 nodes took " << report->took.count() << " ms\n";
}

// Last: stops nodes.
TEST_F(GaleraEngineTest, ZzNodeDownFallsBackToAnotherSyncedNode) {
  ASSERT_TRUE(sandbox_->platform().StopInstance(cluster_, *cluster_.FindInstance(1)).ok());
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->source.ordinal, 2);
  EXPECT_NE(plan->metadata["skipped"].find(cluster_.FindInstance(1)->name), std::string::npos);
  auto dump = mariadb::DumpAll(engine_, sandbox_->platform(), cluster_, *plan);
  EXPECT_TRUE(dump.ok()) << dump.status().ToString();
  auto report = TriageGalera(sandbox_->platform(), cluster_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->verdict, Verdict::kDegraded);
  EXPECT_EQ(report->instances[1].state, InstanceState::kStopped);
  EXPECT_FALSE(report->instances[1].facts["grastate_seqno"].empty());
}

}  // namespace
}  // namespace hasteward::engine::galera
