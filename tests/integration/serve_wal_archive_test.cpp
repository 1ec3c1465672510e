// `serve` watches a PostgreSQL cluster's WAL archive (policy `pitr: true`; the server archives
// through `hasteward wal-push`) and a repository outage loses nothing: on a real sandbox server,
// the REST repository behind a FaultProxy resets every request for 20 s while rows are written
// and segments completed. The queued segments show as lag (files, seconds) during the outage and
// drain after it (the server keeps every segment until wal-push succeeds), and a point-in-time
// restore to a time after the outage has every row.
#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "support/cluster_env.h"
#include "support/fault_proxy.h"
#include "support/hasteward_env.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"
#include "support/serve_process.h"
#include "support/server_user_file.h"

namespace hasteward::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kOutage = 20s;
constexpr char kLabels[] = "cluster=\"shop\",namespace=\"sw\",engine=\"cnpg\"";

class ServeWalArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = SandboxCluster::Create({.engine = platform::EngineKind::kPostgres,
                                           .instances = 1,
                                           .replication_mode = "async",
                                           .name = "shop",
                                           .ns = "sw"});
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    pg_ = std::move(*cluster);
    hs_.Set("HASTEWARD_INVENTORY", pg_->inventory_path());
    hs_.Set("HASTEWARD_STATE_DIR", pg_->state_dir());
    auto rest = RestTestServer::Start(hs_.Path("rest"));
    ASSERT_TRUE(rest.ok()) << rest.status().ToString();
    rest_ = std::move(rest).value();
    auto proxy = FaultProxy::Start(
        {.upstream_port = rest_->port(), .fault_rate = 0, .faults = {FaultProxy::Fault::kReset}});
    ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
    proxy_ = std::move(proxy).value();
    location_ = "rest:http://127.0.0.1:" + std::to_string(proxy_->port()) + "/repo";
    hs_.UseRepository(location_);
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    // The server runs wal-push as its OS user: the password file is that user's.
    auto password_file =
        WriteServerPasswordFile(hs_.Path("password"), hs_.password(), pg_->instance(0).os_user);
    ASSERT_TRUE(password_file.ok()) << password_file.status().ToString();
    password_file_ = *password_file;
    auto enabled = Hs({"archive", "enable"});
    ASSERT_EQ(enabled.exit_code, 0) << enabled.out << enabled.err;
    Sql("CREATE TABLE rows (id int PRIMARY KEY)");
  }
  void TearDown() override { serve_.Stop(); }

  // `hasteward <args...> -e cnpg -c shop -n sw --password-file F`.
  CmdResult Hs(std::vector<std::string> args) {
    return ClusterEnv::On(hs_, *pg_, "cnpg", {"--password-file", password_file_})
        .Hs(std::move(args));
  }
  std::string Sql(const std::string& sql) { return SqlOn(*pg_, sql); }
  // Rows [from, to) in their own transactions, then the segment completed.
  void WriteAndSwitch(int from, int to) {
    for (int id = from; id < to; ++id)
      Sql("INSERT INTO rows VALUES (" + std::to_string(id) + ")");
    Sql("SELECT pg_switch_wal()");
  }
  std::string WriteConfig() {
    return WriteFile(
        hs_.Path("serve.yaml"),
        "inventory: " + pg_->inventory_path() + "\nstateFile: " + hs_.Path("serve-state.json") +
            "\npitrStatusSeconds: 3\nrepositories:\n  - {name: rest, repository: " + location_ +
            ", passwordFile: " + password_file_ +
            "}\npolicies: [{name: default, pitr: true, repositories: [rest]}]\n"
            "clusters: [{namespace: sw, name: shop}]\n");
  }
  // The last lines of the server's log (its archive_command's errors land there).
  std::string ServerLogTail() const {
    auto log = core::ReadFileToString(pg_->state_dir() + "/sw/shop/shop-0/postgres.log");
    if (!log.ok()) {
      return log.status().ToString();
    }
    return log->substr(log->size() > 4000 ? log->size() - 4000 : 0);
  }
  double Sample(const std::string& name) const {
    return MetricSample(serve_.Metrics(), name, kLabels);
  }

  HastewardEnv hs_{"hs-serve-wal-", "serve-wal-test"};
  std::unique_ptr<RestTestServer> rest_;
  std::unique_ptr<FaultProxy> proxy_;
  // After the repository, so destroyed before it: the server archives until it has stopped, and a
  // wal-push retrying an absent repository holds its archiver past the stop (left running).
  std::unique_ptr<SandboxCluster> pg_;
  std::string location_;
  std::string password_file_;
  ServeProcess serve_;
};

TEST_F(ServeWalArchiveTest, RepositoryOutageQueuesSegmentsThatDrainAfterwardsAndNothingIsLost) {
  ASSERT_EQ(Hs({"backup", "--method", "native"}).exit_code, 0);
  ASSERT_TRUE(serve_.Start(WriteConfig(), hs_.vars(), {}).ok()) << serve_.Logs();
  ASSERT_TRUE(core::PollUntil([&] { return Sample("hasteward_archive_enabled") == 1; }, 30s))
      << serve_.Metrics() << serve_.Logs();
  WriteAndSwitch(0, 10);
  ASSERT_TRUE(core::PollUntil([&] { return Sample("hasteward_archive_lag_files") == 0; }, 60s))
      << serve_.Metrics();
  ASSERT_TRUE(core::PollUntil([&] { return Sample("hasteward_pitr_gaps") == 0; }, 30s))
      << serve_.Metrics();

  proxy_->SetFaultRate(1.0);
  double max_files = 0;
  int next = 10;
  for (auto end = std::chrono::steady_clock::now() + kOutage;
       std::chrono::steady_clock::now() < end; next += 10) {
    WriteAndSwitch(next, next + 10);
    max_files = std::max(max_files, Sample("hasteward_archive_lag_files"));
    std::this_thread::sleep_for(2s);
  }
  const double lag_in_outage = Sample("hasteward_archive_lag_seconds");
  proxy_->SetFaultRate(0);
  EXPECT_GE(max_files, 2) << "completed segments waited on the server";
  EXPECT_GT(lag_in_outage, 10);
  const auto back = std::chrono::steady_clock::now();
  ASSERT_TRUE(core::PollUntil([&] { return Sample("hasteward_archive_lag_files") == 0; }, 120s))
      << serve_.Metrics() << serve_.Logs();
  std::printf("outage %llds: %.0f segments queued at most, lag %.1f s; drained %.1f s after\n",
              static_cast<long long>(kOutage.count()), max_files, lag_in_outage,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - back).count());
  EXPECT_LT(Sample("hasteward_archive_lag_seconds"), 15);
  ASSERT_EQ(serve_.Stop(), 0);

  // Nothing lost: every row, written before and during the outage, comes back at a time after.
  const std::string count = Sql("SELECT count(*) FROM rows");
  std::this_thread::sleep_for(1100ms);
  const std::string target =
      Sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
  std::this_thread::sleep_for(1100ms);
  WriteAndSwitch(100000, 100001);  // after the target, and completes the target's segment
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return Sql("SELECT last_archived_wal >= pg_walfile_name(pg_current_wal_lsn() - 1) "
                   "FROM pg_stat_archiver") == "t";
      },
      60s))
      << Sql("SELECT row_to_json(s)::text FROM pg_stat_archiver s") << "\nserver log tail:\n"
      << ServerLogTail();
  ASSERT_EQ(Hs({"instance", "stop", "-i", "0"}).exit_code, 0);
  auto restored = Hs({"restore", "--until", target, "--yes"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(Sql("SELECT count(*) FROM rows WHERE id < 100000"), count);
  EXPECT_EQ(std::to_string(next), count);
}

}  // namespace
}  // namespace hasteward::testing
