// Integration: the Galera engine against a real 3-node sandbox (galera-4).
#include "engine/galera/galera_engine.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "engine/engine_sandbox.h"
#include "engine/galera/repair.h"
#include "engine/galera/triage.h"
#include "engine/mariadb_test_util.h"
#include "engine/shared_sandbox_test.h"

namespace hasteward::engine::galera {
namespace {

using mariadb::ConnectTo;
using mariadb::MariadbChecksums;
using mariadb::RunSql;

class GaleraEngineTest : public SharedSandboxTest<GaleraEngineTest> {
 public:
  static constexpr SandboxSpec kSandbox{EngineKind::kGalera, 3, "enggal"};

 protected:
  void WaitForNode(int ordinal, const std::map<std::string, std::string>& want) {
    core::PollUntil([&] { return MariadbChecksums(cluster_, ordinal) == want; },
                    std::chrono::seconds(20), std::chrono::milliseconds(100));
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

  GaleraEngine engine_;
};

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

TEST_F(GaleraEngineTest, TriageOfHealthyClusterIsHealthy) {
  auto report = TriageGalera(sandbox_->platform(), cluster_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->verdict, Verdict::kHealthy);
  for (const auto& i : report->instances) {
    EXPECT_EQ(i.state, InstanceState::kHealthy) << i.instance.name;
    EXPECT_FALSE(i.facts.at("grastate_uuid").empty()) << i.instance.name;
  }
  // Its speed (under a second) is measured by bench/triage_latency.sh, not bounded here.
}

// The sandbox as a platform that re-creates an instance elsewhere when it starts (as a
// StatefulSet re-creates a pod with a new IP): callers hold a description whose address no longer
// reaches the node; FindCluster and OpenInstance answer with where it is now (by name). With
// `fail_exec_after_stop`, commands in a stopped instance fail, as when the helper pod that would
// run them on kubernetes does not come up.
class MovingPlatform : public platform::Platform {
 public:
  MovingPlatform(platform::Platform& inner, platform::Cluster now)
      : inner_(inner), now_(std::move(now)) {}
  bool fail_exec_after_stop = false;

  std::string name() const override { return inner_.name(); }
  core::Result<std::vector<platform::Cluster>> ListClusters() override {
    return std::vector<platform::Cluster>{now_};
  }
  core::Result<platform::Cluster> FindCluster(const std::string& /*ns*/,
                                              const std::string& /*name*/) override {
    return now_;
  }
  core::Result<std::unique_ptr<platform::InstanceHandle>> OpenInstance(
      const platform::Cluster& /*c*/, const platform::Instance& i) override {
    const platform::Instance* here = now_.FindInstance(i.ordinal);
    if (here == nullptr)
      return core::NotFound("no instance " + i.name);
    if (fail_exec_after_stop && stopped_) {
      return core::Status(core::ErrorCode::kUnreachable, "helper pod of " + i.name + " not up");
    }
    auto handle = inner_.OpenInstance(now_, *here);
    if (handle.ok() && fail_exec_after_stop) {
      auto running = (*handle)->IsRunning();
      stopped_ = running.ok() && !*running;
      if (stopped_)
        return core::Status(core::ErrorCode::kUnreachable, "helper pod of " + i.name + " not up");
    }
    return handle;
  }

 private:
  platform::Platform& inner_;
  platform::Cluster now_;
  bool stopped_ = false;
};

// A heal that fails between the stop and the start says that the node is left stopped and the
// command that starts it; a rejoin waits for Synced on the address the platform gives the started
// node, not on the one read before (a re-created pod's new IP): here the old one reaches nothing.
TEST_F(GaleraEngineTest, AFailedHealNamesTheStartCommandAndARejoinWaitsOnTheNewAddress) {
  platform::Cluster stale = cluster_;
  for (auto& i : stale.instances) {
    if (i.ordinal == 2)
      i.port = 1;  // nothing listens there
  }
  const platform::Instance node = *stale.FindInstance(2);
  MovingPlatform moving(sandbox_->platform(), cluster_);
  HealOptions options;
  options.stamp = "20260101T000000Z";
  options.heal_timeout = std::chrono::seconds(60);

  moving.fail_exec_after_stop = true;
  core::Status failed = HealNode(moving, stale, node, options);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.hint().find("'" + node.name + "' is left stopped"), std::string::npos)
      << failed.ToString();
  EXPECT_NE(failed.hint().find("'hasteward --platform local instance start -n " + cluster_.ns +
                               " -c " + cluster_.name + " -i 2'"),
            std::string::npos)
      << failed.ToString();
  auto running = sandbox_->platform().IsRunning(cluster_, *cluster_.FindInstance(2));
  ASSERT_TRUE(running.ok());
  EXPECT_FALSE(*running);

  moving.fail_exec_after_stop = false;
  core::Status rejoined = RejoinNode(moving, stale, node, options);
  EXPECT_TRUE(rejoined.ok()) << rejoined.ToString();
  auto report = TriageGalera(sandbox_->platform(), cluster_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->verdict, Verdict::kHealthy);
}

// A heal that must keep what it replaces (a node of another history healed with --force, which no
// snapshot captured) moves the node's whole data directory aside and names where, never only
// grastate.dat: the state transfer overwrites the rest. The node then rejoins.
TEST_F(GaleraEngineTest, AHealThatMustKeepTheNodesDataMovesTheWholeDataDirectoryAside) {
  const platform::Instance node = *cluster_.FindInstance(2);
  std::ofstream(node.data_dir + "/hasteward-test-mark") << "kept";
  HealOptions options;
  options.stamp = "20260102T000000Z";
  options.heal_timeout = std::chrono::seconds(60);
  options.only_copy_of_diverged_writes = true;
  std::string log;
  options.log = [&](const std::string& line) {
    log += line + "\n";
  };

  core::Status healed = HealNode(sandbox_->platform(), cluster_, node, options);
  ASSERT_TRUE(healed.ok()) << healed.ToString();
  const std::string kept = node.data_dir + ".hasteward-replaced-" + options.stamp;
  EXPECT_TRUE(std::filesystem::exists(kept + "/hasteward-test-mark")) << log;
  EXPECT_TRUE(std::filesystem::exists(kept + "/grastate.dat")) << log;
  EXPECT_FALSE(std::filesystem::exists(node.data_dir + "/hasteward-test-mark")) << log;
  EXPECT_NE(log.find("kept the data directory of '" + node.name + "' at '" + kept + "'"),
            std::string::npos)
      << log;
  auto report = TriageGalera(sandbox_->platform(), cluster_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->verdict, Verdict::kHealthy);
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
