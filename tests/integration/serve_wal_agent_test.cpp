// `serve` runs the PostgreSQL WAL agent for a cluster with `pitr: true` and the server's wal-push
// hands its segments to it (`archive enable --agent-socket`), on a real sandbox server and a
// real serve. While the agent runs, every wal-push call the server made was answered by the agent
// (the agent's request counter grows exactly as pg_stat_archiver's archived_count: no call opened
// the repository itself). The agent child is then killed (SIGKILL, possibly mid-request): serve
// starts it again, segments completed meanwhile are archived (by wal-push alone while no agent
// listens), `pitr status` shows the base's window with no gap, and a point-in-time restore to a
// time after all of it has every row.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/poll_until.h"
#include "support/cluster_env.h"
#include "support/hasteward_env.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"
#include "support/serve_process.h"
#include "support/server_user_file.h"

namespace hasteward::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kLabels[] = "cluster=\"shop\",namespace=\"sa\",engine=\"cnpg\"";

class ServeWalAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = SandboxCluster::Create({.engine = platform::EngineKind::kPostgres,
                                           .instances = 1,
                                           .replication_mode = "async",
                                           .name = "shop",
                                           .ns = "sa"});
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    pg_ = std::move(*cluster);
    hs_.Set("HASTEWARD_INVENTORY", pg_->inventory_path());
    hs_.Set("HASTEWARD_STATE_DIR", pg_->state_dir());
    auto rest = RestTestServer::Start(hs_.Path("rest"));
    ASSERT_TRUE(rest.ok()) << rest.status().ToString();
    rest_ = std::move(rest).value();
    location_ = rest_->Location("repo/");
    hs_.UseRepository(location_);
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    auto password_file =
        WriteServerPasswordFile(hs_.Path("password"), hs_.password(), pg_->instance(0).os_user);
    ASSERT_TRUE(password_file.ok()) << password_file.status().ToString();
    password_file_ = *password_file;
    socket_ = hs_.Path("agents") + "/sa.shop.sock";
    Sql("CREATE TABLE rows (id int PRIMARY KEY)");
  }
  void TearDown() override { serve_.Stop(); }

  CmdResult Hs(std::vector<std::string> args) {
    return ClusterEnv::On(hs_, *pg_, "cnpg", {"--password-file", password_file_})
        .Hs(std::move(args));
  }
  std::string Sql(const std::string& sql) { return SqlOn(*pg_, sql); }
  // Rows [from, to), then the segment completed and waited for until the server archived it.
  void WriteSwitchAndWaitArchived(int from, int to) {
    for (int id = from; id < to; ++id)
      Sql("INSERT INTO rows VALUES (" + std::to_string(id) + ")");
    const std::string segment = Sql("SELECT pg_walfile_name(pg_switch_wal())");
    ASSERT_TRUE(core::PollUntil(
        [&] {
          return Sql("SELECT last_archived_wal >= '" + segment + "' FROM pg_stat_archiver") == "t";
        },
        60s))
        << Sql("SELECT row_to_json(s)::text FROM pg_stat_archiver s");
  }
  double ArchivedCount() { return std::stod(Sql("SELECT archived_count FROM pg_stat_archiver")); }
  // {archived_count, the agent's requests} once no archive_command is in flight: while one runs,
  // the agent has answered (counted) before the server counts the file archived, and a baseline
  // read in between would stay one apart for good (seen on a loaded CI after the backup's
  // history file).
  std::pair<double, double> SettledCounts() {
    std::pair<double, double> counts{-1, -1};
    EXPECT_TRUE(core::PollUntil(
        [&] {
          if (Sql("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'") !=
              "0")
            return false;
          const std::pair<double, double> now{ArchivedCount(),
                                              Sample("hasteward_wal_agent_requests_total")};
          const bool settled = now == counts;  // two reads in a row agree
          counts = now;
          return settled;
        },
        30s))
        << serve_.Metrics();
    return counts;
  }
  double Sample(const std::string& name) const {
    return MetricSample(serve_.Metrics(), name, kLabels);
  }
  std::string WriteConfig() {
    return WriteFile(hs_.Path("serve.yaml"),
                     "inventory: " + pg_->inventory_path() +
                         "\nstateFile: " + hs_.Path("serve-state.json") +
                         "\npitrStatusSeconds: 3\nwalAgentDir: " + hs_.Path("agents") +
                         "\nrepositories:\n  - {name: rest, repository: " + location_ +
                         ", passwordFile: " + password_file_ +
                         "}\npolicies: [{name: default, pitr: true, repositories: [rest]}]\n"
                         "clusters: [{namespace: sa, name: shop}]\n");
  }
  // The pid of serve's WAL agent child, 0 when none runs.
  static pid_t AgentPid(const std::string& socket) {
    for (const std::string& line : ProcessCommandLines()) {
      if (line.find(" wal-agent ") != std::string::npos && line.find(socket) != std::string::npos) {
        return static_cast<pid_t>(std::stol(line.substr(0, line.find(':'))));
      }
    }
    return 0;
  }

  HastewardEnv hs_{"hs-serve-agent-", "serve-agent-test"};
  std::unique_ptr<RestTestServer> rest_;
  // After the repository, so destroyed before it: the server archives until it has stopped, and a
  // wal-push retrying an absent repository holds its archiver past the stop (left running).
  std::unique_ptr<SandboxCluster> pg_;
  std::string location_;
  std::string password_file_;
  std::string socket_;
  ServeProcess serve_;
};

TEST_F(ServeWalAgentTest, WalPushGoesThroughServesAgentWhichComesBackAfterAKillLosingNothing) {
  ASSERT_TRUE(serve_.Start(WriteConfig(), hs_.vars(), {}).ok()) << serve_.Logs();
  ASSERT_TRUE(core::PollUntil([&] { return Sample("hasteward_wal_agent_up") == 1; }, 30s))
      << serve_.Metrics() << serve_.Logs();
  struct stat socket_info {};
  // The agent listens once it opened the repository.
  ASSERT_TRUE(core::PollUntil([&] { return ::stat(socket_.c_str(), &socket_info) == 0; }, 30s))
      << serve_.Logs();
  EXPECT_EQ(socket_info.st_mode & 0777, 0600U);
  auto enabled = Hs({"archive", "enable", "--agent-socket", socket_});
  ASSERT_EQ(enabled.exit_code, 0) << enabled.out << enabled.err;
  ASSERT_EQ(Hs({"backup", "--method", "native"}).exit_code, 0);

  // Every call of the server's archive_command is answered by the agent.
  const auto [archived_before, requests_before] = SettledCounts();
  for (int round = 0; round < 4; ++round)
    WriteSwitchAndWaitArchived(round * 10, round * 10 + 10);
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return Sample("hasteward_wal_agent_requests_total") - requests_before ==
               ArchivedCount() - archived_before;
      },
      10s))
      << "every wal-push handed its segment to the agent: "
      << Sample("hasteward_wal_agent_requests_total") - requests_before << " requests for "
      << ArchivedCount() - archived_before << " archived\n"
      << serve_.Metrics();
  EXPECT_GE(ArchivedCount() - archived_before, 4);
  EXPECT_GE(Sample("hasteward_wal_agent_files_archived_total"), 4);
  EXPECT_EQ(Sample("hasteward_wal_agent_errors_total"), 0);

  // Killed while segments are being archived: serve starts it again, nothing is lost.
  const pid_t agent = AgentPid(socket_);
  ASSERT_GT(agent, 0) << "serve's agent child";
  Sql("INSERT INTO rows SELECT generate_series(1000, 1099)");
  Sql("SELECT pg_switch_wal()");
  ASSERT_EQ(::kill(agent, SIGKILL), 0);
  WriteSwitchAndWaitArchived(2000, 2010);  // archived by wal-push alone, or the new agent
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return Sample("hasteward_wal_agent_restarts_total") >= 1 &&
               Sample("hasteward_wal_agent_up") == 1 && AgentPid(socket_) != agent;
      },
      30s))
      << serve_.Metrics() << serve_.Logs();
  const double requests_after_restart = Sample("hasteward_wal_agent_requests_total");
  WriteSwitchAndWaitArchived(3000, 3010);
  ASSERT_TRUE(core::PollUntil(
      [&] { return Sample("hasteward_wal_agent_requests_total") > requests_after_restart; }, 10s))
      << "the restarted agent serves wal-push again: " << serve_.Metrics();

  // No gap from the base on, and a restore to a time after everything has every row.
  auto status = Hs({"pitr", "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto bases = nlohmann::json::parse(status.out)["bases"];
  ASSERT_EQ(bases.size(), 1U) << status.out;
  EXPECT_TRUE(bases[0]["recoverable"].get<bool>()) << status.out;
  EXPECT_TRUE(bases[0]["gap"].is_null()) << status.out;
  ASSERT_EQ(serve_.Stop(), 0);
  const std::string count = Sql("SELECT count(*) FROM rows");
  std::this_thread::sleep_for(1100ms);  // pacing: the target's second differs from the rows'
  const std::string target =
      Sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
  std::this_thread::sleep_for(1100ms);         // pacing: later rows fall in a later second
  WriteSwitchAndWaitArchived(100000, 100001);  // after the target; completes its segment
  ASSERT_EQ(Hs({"instance", "stop", "-i", "0"}).exit_code, 0);
  auto restored = Hs({"restore", "--until", target, "--yes"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(Sql("SELECT count(*) FROM rows WHERE id < 100000"), count);
  EXPECT_EQ(count, "160");  // 4 x 10, 100, 10 and 10 rows
}

}  // namespace
}  // namespace hasteward::testing
