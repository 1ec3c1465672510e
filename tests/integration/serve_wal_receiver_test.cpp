// `serve` runs the synchronous WAL receiver of a cluster with `pitrSync: true` and watches it from
// the primary's side, on a real sandbox server and a real serve: the primary waits for the
// receiver (synchronous_standby_names names it) under a synchronous writer; the receiver child is
// then hung (SIGSTOP: it neither confirms nor ends, so it cannot fall back itself and serve still
// sees it running). serve's watchdog finds commits waiting longer than its bound and lets the
// primary commit without the receiver (an alert, `hasteward_wal_receiver_watchdog_releases_total`,
// `hasteward_wal_receiver_synchronous` 0); the writer goes on. Resumed (SIGCONT), the receiver
// catches up, finds the fallback mark and names itself again. No acknowledged id is lost.
#include <chrono>
#include <csignal>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/cluster_env.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/postgres_set_writer.h"
#include "support/sandbox_cluster.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kLabels[] = "cluster=\"shop\",namespace=\"swr\",engine=\"cnpg\"";

class ServeWalReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = SandboxCluster::Create({.engine = platform::EngineKind::kPostgres,
                                           .instances = 1,
                                           .replication_mode = "async",
                                           .name = "shop",
                                           .ns = "swr"});
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    pg_ = std::move(*cluster);
    hs_.Set("HASTEWARD_INVENTORY", pg_->inventory_path());
    hs_.Set("HASTEWARD_STATE_DIR", pg_->state_dir());
    // A filesystem repository: the receiver's pieces need one (REST cannot hold them).
    hs_.UseRepository(hs_.Path("repo"));
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    WriteFile(hs_.Path("password"), hs_.password());
  }
  void TearDown() override {
    // Commits never outlive the test waiting for a receiver that is gone.
    Sql("ALTER SYSTEM SET synchronous_standby_names = ''");
    Sql("SELECT pg_reload_conf()");
    if (receiver_ > 0) {
      ::kill(receiver_, SIGCONT);
    }
    serve_.Stop();
  }

  std::string Sql(const std::string& sql) { return SqlOn(*pg_, sql); }
  double Sample(const std::string& name) const {
    return MetricSample(serve_.Metrics(), name, kLabels);
  }
  std::string WriteConfig() {
    return WriteFile(hs_.Path("serve.yaml"),
                     "inventory: " + pg_->inventory_path() +
                         "\nstateFile: " + hs_.Path("serve-state.json") +
                         "\nwalAgentDir: \"\"\nrepositories:\n  - {name: local, repository: " +
                         hs_.Path("repo") + ", passwordFile: " + hs_.Path("password") +
                         "}\npolicies: [{name: default, pitr: true, pitrSync: true, "
                         "repositories: [local]}]\nclusters: [{namespace: swr, name: shop}]\n");
  }
  // The pid of serve's receiver child for this cluster, 0 when none runs.
  static pid_t ReceiverPid() {
    for (const std::string& line : ProcessCommandLines()) {
      if (line.find(" wal-receive ") != std::string::npos &&
          line.find(" -n swr") != std::string::npos) {
        return static_cast<pid_t>(std::stol(line.substr(0, line.find(':'))));
      }
    }
    return 0;
  }
  std::string SyncNames() { return Sql("SHOW synchronous_standby_names"); }

  HastewardEnv hs_{"hs-swr-", "serve-wal-receiver-test"};
  std::unique_ptr<SandboxCluster> pg_;
  ServeProcess serve_;
  pid_t receiver_ = 0;
};

TEST_F(ServeWalReceiverTest, AHungReceiverIsReleasedByTheWatchdogAndNamesItselfAgainOnceBack) {
  ASSERT_TRUE(serve_.Start(WriteConfig(), hs_.vars(), {.tick_seconds = 2}).ok());
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return Sql("SELECT count(*) FROM pg_stat_replication WHERE application_name = "
                   "'hasteward_receiver' AND state = 'streaming'") == "1";
      },
      90s))
      << serve_.Logs();
  Sql("ALTER SYSTEM SET synchronous_standby_names = 'hasteward_receiver'");
  Sql("SELECT pg_reload_conf()");
  auto writer = PostgresSetWriter::Start({.cluster = pg_->cluster(), .synchronous_commit = "on"});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->WaitForMore(20, 60s)) << serve_.Logs();
  EXPECT_EQ(Sample("hasteward_wal_receiver_synchronous"), 1) << serve_.Metrics();

  receiver_ = ReceiverPid();
  ASSERT_GT(receiver_, 0) << serve_.Logs();
  ASSERT_EQ(::kill(receiver_, SIGSTOP), 0);
  ASSERT_TRUE(core::PollUntil([&] { return SyncNames().empty(); }, 90s)) << serve_.Logs();
  ASSERT_TRUE((*writer)->WaitForMore(20, 60s)) << "commits still wait\n" << serve_.Logs();
  // serve counts and logs the release once its fallback finished (the setting is reloaded first).
  EXPECT_TRUE(core::PollUntil(
      [&] { return Sample("hasteward_wal_receiver_watchdog_releases_total") >= 1; }, 30s))
      << serve_.Metrics();
  EXPECT_EQ(Sample("hasteward_wal_receiver_synchronous"), 0) << serve_.Metrics();
  EXPECT_NE(serve_.Logs().find("ALERT"), std::string::npos) << serve_.Logs();

  ASSERT_EQ(::kill(receiver_, SIGCONT), 0);
  receiver_ = 0;
  ASSERT_TRUE(core::PollUntil([&] { return SyncNames() == "hasteward_receiver"; }, 120s))
      << serve_.Logs();
  ASSERT_TRUE((*writer)->WaitForMore(20, 60s)) << serve_.Logs();
  (*writer)->Stop();
  auto outcome = (*writer)->Check(0);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->lost, 0U) << "first lost " << outcome->first_lost;
  EXPECT_EQ(outcome->duplicates, 0U);
}

}  // namespace
}  // namespace hasteward::testing
