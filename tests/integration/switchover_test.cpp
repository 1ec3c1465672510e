// MariaDB switchover and failover on real sandbox clusters, driving the hasteward binary with a
// client writing unique ids throughout (support/mariadb_set_writer.h): every acknowledged id is on
// the new primary afterwards and none twice, after a switchover (async) and after a failover from
// a kill -9 of the primary (semi-sync); a candidate whose applier is stopped makes the switchover
// wait out --timeout and abort at catch-up, with the old primary writable again at once and the
// candidate never promoted; after a switchover an account holding SUPER and READ ONLY ADMIN
// cannot write on the old primary, nor can writers holding READ ONLY ADMIN directly or through a
// (nested, default) role, who lose no acknowledged write through it, nor does an application
// sharing HASteward's own account; a failover stops a hung (SIGSTOPped) old primary before
// promoting; --dry-run changes nothing.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "core/process_info.h"
#include "engine/mariadb/persisted_fence.h"
#include "support/cluster_env.h"
#include "support/hasteward_env.h"
#include "support/mariadb_set_writer.h"
#include "support/sandbox_cluster.h"
#include "support/serve_process.h"
#include "support/switchover_kill.h"

namespace hasteward::testing {
namespace {

using Json = nlohmann::json;
using platform::EngineKind;

constexpr int kTimeoutExit = 27;  // docs/exit-codes.md
constexpr char kAppPassword[] = "app-secret";
constexpr char kDbaPassword[] = "dba-secret";

class SwitchoverTest : public ::testing::Test {
 protected:
  void Up(const std::string& mode) {
    auto c = SandboxCluster::Create({.engine = EngineKind::kMariadb,
                                     .instances = 3,
                                     .replication_mode = mode,
                                     .name = "shop",
                                     .ns = "sw"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    db_ = std::move(*c);
    // An application account (no privilege beyond its table) and a DBA account holding SUPER and
    // READ ONLY ADMIN (ALL PRIVILEGES), both created on the primary and replicated.
    Sql(0, std::string("CREATE DATABASE app; CREATE TABLE app.ids (seq BIGINT AUTO_INCREMENT "
                       "PRIMARY KEY, id BIGINT NOT NULL, KEY (id)) ENGINE=InnoDB; "
                       "CREATE USER 'app'@'%' IDENTIFIED BY '") +
               kAppPassword +
               "'; GRANT SELECT, INSERT ON app.* TO 'app'@'%'; CREATE USER 'dba'@'%' "
               "IDENTIFIED BY '" +
               kDbaPassword + "'; GRANT ALL PRIVILEGES ON *.* TO 'dba'@'%';");
    WaitReplicated();
  }

  CmdResult Hs(const std::string& verb, std::vector<std::string> args = {}) {
    args.insert(args.begin(), verb);
    return ClusterEnv::On(hs_, *db_, "mariadb").Hs(std::move(args));
  }

  std::string Sql(int ordinal, const std::string& sql) { return SqlOn(*db_, sql, ordinal); }

  // Runs `sql` on instance `ordinal` as `user` with the stock client; the exit code and output.
  CmdResult SqlAs(int ordinal, const std::string& user, const std::string& password,
                  const std::string& sql) {
    const platform::Instance& i = db_->instance(ordinal);
    return RunCommand({"mariadb", "--no-defaults", "--protocol=tcp", "-h", i.host, "-P",
                       std::to_string(i.port), "-u", user, "--batch", "-N", "-e", sql},
                      {{"MYSQL_PWD", password}});
  }

  // Every replica applied the primary's position.
  void WaitReplicated(int primary = 0) {
    std::string pos = Sql(primary, "SELECT @@global.gtid_binlog_pos");
    for (int n = 0; n < 3; ++n) {
      if (n == primary)
        continue;
      EXPECT_EQ(Sql(n, "SELECT MASTER_GTID_WAIT('" + pos + "', 30)"), "0") << "instance " << n;
    }
  }

  MariadbSetWriter::Options WriterOptions() {
    MariadbSetWriter::Options o;
    for (int n = 0; n < 3; ++n)
      o.endpoints.emplace_back(db_->instance(n).host, db_->instance(n).port);
    o.user = "app";
    o.password = kAppPassword;
    o.table = "app.ids";
    return o;
  }

  // The writer's acknowledged ids against the rows on instance `ordinal`.
  SetCheck Check(const MariadbSetWriter& writer, int ordinal) {
    return CheckSet(writer.acknowledged(), Sql(ordinal, "SELECT id FROM app.ids"));
  }

  // The state a dry run must not change: positions, read_only, sources and grants of each.
  std::string State() {
    std::string out;
    for (int n = 0; n < 3; ++n) {
      out += Sql(n, "SELECT @@global.gtid_binlog_pos, @@global.read_only") + "|";
      out += Sql(n,
                 "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE "
                 "= 'READ_ONLY ADMIN'") +
             "|";
      auto status = db_->Sql(n, "SHOW ALL SLAVES STATUS");
      out += std::to_string(status.ok() && status->find(std::to_string(db_->instance(0).port)) !=
                                               std::string::npos) +
             "\n";
    }
    return out;
  }

  // One scrape of a fresh `serve` watching this cluster (no schedules: it only reports).
  std::string ServeScrape() {
    std::string config = hs_.Path("serve.yaml");
    std::ofstream(config) << "policies:\n  - name: default\nclusters:\n"
                             "  - {namespace: sw, name: shop, policy: default}\n";
    auto env = hs_.vars();
    env["HASTEWARD_INVENTORY"] = db_->inventory_path();
    env["HASTEWARD_STATE_DIR"] = db_->state_dir();
    ServeProcess serve;
    auto started = serve.Start(config, env, {});
    EXPECT_TRUE(started.ok()) << started.ToString() << serve.Logs();
    std::string scrape = started.ok() ? serve.Metrics() : "";
    EXPECT_EQ(serve.Stop(), 0) << serve.Logs();
    return scrape;
  }

  static std::string SwitchoverLabels(const char* kind) {
    return std::string(R"(cluster="shop",namespace="sw",engine="mariadb",kind=")") + kind + "\"";
  }

  // Whether the instance's config file carries the persisted read_only fence.
  bool ConfigIsFenced(int ordinal) {
    std::ifstream in(db_->instance(ordinal).config_file);
    std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return config.find(engine::mariadb::kFenceBlockBegin) != std::string::npos;
  }

  pid_t ServerPid(int ordinal) {
    const std::string& config = db_->instance(ordinal).config_file;
    std::ifstream pid_file(config.substr(0, config.rfind('/')) + "/mariadbd.pid");
    pid_t pid = 0;
    pid_file >> pid;
    return pid;
  }

  void KillPrimary(int ordinal) {
    pid_t pid = ServerPid(ordinal);
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    core::PollUntil([pid] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(5),
                    std::chrono::milliseconds(50));
  }

  HastewardEnv hs_{"hs-switchover-", "switchover-test"};
  std::unique_ptr<SandboxCluster> db_;
};

TEST_F(SwitchoverTest, SwitchoverUnderWritesLosesNoAcknowledgedId) {
  Up("async");
  MariadbSetWriter writer(WriterOptions());
  writer.Start();
  ASSERT_TRUE(writer.WaitForAcknowledged(200, std::chrono::seconds(30)));
  auto r = Hs("switchover", {"--to", db_->instance(1).name, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json report = Json::parse(r.out);
  EXPECT_EQ(report["candidate"], db_->instance(1).name);
  EXPECT_EQ(report["steps"].size(), 7U) << r.out;
  ASSERT_TRUE(writer.WaitForAcknowledged(200, std::chrono::seconds(30)))
      << "the writer never reached the new primary";
  writer.Stop();
  WaitReplicated(1);
  SetCheck check = Check(writer, 1);
  std::printf(
      "switchover set test: %ld acknowledged, %ld present, %ld lost, %ld duplicated, "
      "%ld failed attempts, switchover %.3f s\n",
      check.acknowledged, check.present, check.lost, check.duplicated, writer.failures(),
      report["total_seconds"].get<double>());
  EXPECT_EQ(check.lost, 0);
  EXPECT_EQ(check.duplicated, 0);
  EXPECT_EQ(Sql(0, "SELECT @@global.read_only"), "1");
  EXPECT_EQ(Sql(1, "SELECT @@global.read_only"), "0");
  EXPECT_TRUE(ConfigIsFenced(0)) << "a restart would bring the old primary back writable";
  EXPECT_EQ(Hs("triage").exit_code, 0) << Hs("triage").out;
  // serve exposes the last switchover's duration and outcome.
  std::string scrape = ServeScrape();
  EXPECT_EQ(
      MetricSample(scrape, "hasteward_switchover_last_success", SwitchoverLabels("switchover")), 1)
      << scrape;
  EXPECT_NEAR(MetricSample(scrape, "hasteward_switchover_last_duration_seconds",
                           SwitchoverLabels("switchover")),
              report["total_seconds"].get<double>(), 0.001)
      << scrape;
  EXPECT_NE(scrape.find(",failed_step=\"\",old_primary=\"" + db_->instance(0).name +
                        "\",new_primary=\"" + db_->instance(1).name + "\"} 1"),
            std::string::npos)
      << scrape;
}

TEST_F(SwitchoverTest, AfterDemotionASuperAccountCannotWriteOnTheOldPrimary) {
  Up("async");
  ASSERT_EQ(SqlAs(0, "dba", kDbaPassword, "INSERT INTO app.ids (id) VALUES (-1)").exit_code, 0);
  auto r = Hs("switchover", {"--to", db_->instance(1).name});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  CmdResult refused = SqlAs(0, "dba", kDbaPassword, "INSERT INTO app.ids (id) VALUES (-2)");
  EXPECT_NE(refused.exit_code, 0) << "the old primary took a write from a SUPER account";
  EXPECT_NE(refused.err.find("read-only"), std::string::npos) << refused.err;
  // The new primary still takes that account's writes: it is not read-only.
  EXPECT_EQ(SqlAs(1, "dba", kDbaPassword, "INSERT INTO app.ids (id) VALUES (-3)").exit_code, 0);
}

// Applications whose account writes through read_only: 'direct'@'%' holds READ ONLY ADMIN itself,
// 'viarole'@'%' through its default role, which holds it through a nested role. Both write
// throughout a switchover (only where read_only is OFF, as behind a proxy that routes by it): no
// acknowledged write of either is lost, and afterwards neither can write on the demoted primary.
// A third application shares HASteward's own account (which keeps its READ ONLY ADMIN) and commits
// an id every 600 ms on a pooled connection, choosing a writable instance only when it connects
// (issue 49: the fence spared its session, the demoted primary kept taking its writes, and 32 of
// 40 acknowledged ids were lost): none of its acknowledged ids is lost, and the demoted primary
// holds none the new primary lacks.
TEST_F(SwitchoverTest, WritersThatBypassReadOnlyDirectlyOrThroughARoleLoseNothingAndAreFenced) {
  Up("async");
  Sql(0,
      "CREATE TABLE app.own_ids LIKE app.ids; "
      "CREATE TABLE app.direct_ids LIKE app.ids; CREATE TABLE app.role_ids LIKE app.ids; "
      "CREATE USER 'direct'@'%' IDENTIFIED BY 'direct-secret'; GRANT SELECT, INSERT ON app.* TO "
      "'direct'@'%'; GRANT READ_ONLY ADMIN ON *.* TO 'direct'@'%'; CREATE ROLE bypass_inner; "
      "GRANT READ_ONLY ADMIN ON *.* TO bypass_inner; CREATE ROLE app_writer; GRANT bypass_inner "
      "TO app_writer; GRANT SELECT, INSERT ON app.* TO app_writer; CREATE USER 'viarole'@'%' "
      "IDENTIFIED BY 'viarole-secret'; GRANT app_writer TO 'viarole'@'%'; SET DEFAULT ROLE "
      "app_writer FOR 'viarole'@'%';");
  WaitReplicated();
  auto options = [this](const char* user, const char* password, const char* table) {
    MariadbSetWriter::Options o = WriterOptions();
    o.user = user;
    o.password = password;
    o.table = table;
    o.writable_only = true;
    return o;
  };
  MariadbSetWriter direct(options("direct", "direct-secret", "app.direct_ids"));
  MariadbSetWriter via_role(options("viarole", "viarole-secret", "app.role_ids"));
  MariadbSetWriter::Options own_options = options("", "", "app.own_ids");
  own_options.user = db_->cluster().credentials.user;
  own_options.password = db_->password();
  own_options.writable_only = false;
  own_options.writable_on_connect = true;
  own_options.pace = std::chrono::milliseconds(600);
  MariadbSetWriter own(own_options);
  direct.Start();
  via_role.Start();
  own.Start();
  ASSERT_TRUE(direct.WaitForAcknowledged(100, std::chrono::seconds(30)));
  ASSERT_TRUE(via_role.WaitForAcknowledged(100, std::chrono::seconds(30)));
  ASSERT_TRUE(own.WaitForAcknowledged(3, std::chrono::seconds(30)));
  auto r = Hs("switchover", {"--to", db_->instance(1).name, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("role 'bypass_inner'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("'direct'@'%'"), std::string::npos) << r.out;
  ASSERT_TRUE(direct.WaitForAcknowledged(100, std::chrono::seconds(30))) << "never reached 1";
  ASSERT_TRUE(via_role.WaitForAcknowledged(100, std::chrono::seconds(30))) << "never reached 1";
  ASSERT_TRUE(own.WaitForAcknowledged(4, std::chrono::seconds(30))) << "never reached 1";
  direct.Stop();
  via_role.Stop();
  own.Stop();
  WaitReplicated(1);
  for (auto [writer, table] :
       {std::pair{&direct, "app.direct_ids"}, {&via_role, "app.role_ids"}, {&own, "app.own_ids"}}) {
    SetCheck check =
        CheckSet(writer->acknowledged(), Sql(1, std::string("SELECT id FROM ") + table));
    std::printf("%s: %ld acknowledged, %ld lost, %ld duplicated\n", table, check.acknowledged,
                check.lost, check.duplicated);
    EXPECT_EQ(check.lost, 0) << table;
    EXPECT_EQ(check.duplicated, 0) << table;
  }
  // The demoted primary took nothing after its final position: every id it holds is on the new
  // primary.
  std::set<long> on_old;
  std::istringstream old_ids(Sql(0, "SELECT id FROM app.own_ids"));
  for (std::string line; std::getline(old_ids, line);)
    on_old.insert(std::stol(line));
  SetCheck demoted = CheckSet(on_old, Sql(1, "SELECT id FROM app.own_ids"));
  std::printf("app.own_ids: %ld on the demoted primary, %ld of them missing on the new one\n",
              demoted.acknowledged, demoted.lost);
  EXPECT_EQ(demoted.lost, 0) << "the demoted primary took writes after the fence";
  for (auto [user, password] :
       {std::pair{"direct", "direct-secret"}, {"viarole", "viarole-secret"}}) {
    CmdResult refused = SqlAs(0, user, password, "INSERT INTO app.ids (id) VALUES (-1)");
    EXPECT_NE(refused.exit_code, 0) << user << " wrote on the demoted primary";
    EXPECT_NE(refused.err.find("read-only"), std::string::npos) << user << ": " << refused.err;
  }
}

TEST_F(SwitchoverTest, DelayedCandidateAbortsAtCatchUpAndTheOldPrimaryTakesWritesAgain) {
  Up("async");
  Sql(1, "STOP SLAVE SQL_THREAD");
  auto r = Hs("switchover", {"--to", db_->instance(1).name, "--timeout", "3s", "--json"});
  auto aborted = std::chrono::steady_clock::now();
  ASSERT_EQ(r.exit_code, kTimeoutExit) << r.out << r.err;
  EXPECT_EQ(Json::parse(r.out)["failed_step"], "catch-up") << r.out;
  EXPECT_NE(r.err.find("catch-up"), std::string::npos) << r.err;
  CmdResult write;
  while (std::chrono::steady_clock::now() - aborted < std::chrono::seconds(5)) {
    write = SqlAs(0, "app", kAppPassword, "INSERT INTO app.ids (id) VALUES (1)");
    if (write.exit_code == 0)
      break;
  }
  EXPECT_EQ(write.exit_code, 0) << "the old primary is not writable 5 s after the abort: "
                                << write.err;
  EXPECT_EQ(Sql(1, "SELECT @@global.read_only"), "1") << "the lagging candidate was promoted";
  EXPECT_NE(Sql(1, "SHOW ALL SLAVES STATUS"), "") << "the lagging candidate stopped replicating";
  // The bypass privileges the fence took are back, and so is the config without its fence.
  EXPECT_NE(Sql(0, "SHOW GRANTS FOR 'dba'@'%'").find("ALL PRIVILEGES"), std::string::npos);
  EXPECT_FALSE(ConfigIsFenced(0)) << "the aborted switchover left read_only in the config";
  Sql(1, "START SLAVE SQL_THREAD");
  WaitReplicated();
  EXPECT_EQ(Hs("triage").exit_code, 0) << Hs("triage").out;
  // serve reports the abort, the step it stopped at, and that nothing was promoted.
  std::string scrape = ServeScrape();
  EXPECT_EQ(
      MetricSample(scrape, "hasteward_switchover_last_success", SwitchoverLabels("switchover")), 0)
      << scrape;
  EXPECT_NE(scrape.find(",failed_step=\"catch-up\",old_primary=\"" + db_->instance(0).name +
                        "\",new_primary=\"\"} 1"),
            std::string::npos)
      << scrape;
}

// The deadlock that stalls SET GLOBAL read_only under a transactional load: session A holds a row
// lock in an open transaction, session B's INSERT waits for that lock (a running write, which
// read_only waits for), and A's next statement waits for the pending read_only. MariaDB sees no
// cycle (the row lock is InnoDB's); without the fence killing the open transactions, the
// switchover would wait out --timeout and abort.
// The promotion's read_only=OFF took effect but its reply never arrived: the switchover fails at
// the promotion and undoes, and the undo makes the candidate read-only again before the old
// primary takes writes: never two writable instances.
TEST_F(SwitchoverTest, APromotionWhoseReplyWasLostIsUndoneWithOneWritableInstance) {
  Up("async");
  auto r = ClusterEnv::On(hs_, *db_, "mariadb")
               .Hs({"switchover", "--to", db_->instance(1).name, "--json"},
                   {{"HASTEWARD_FAILPOINT", "mariadb-promote-reply-lost:fail"}});
  ASSERT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Json::parse(r.out)["failed_step"], "promote") << r.out;
  EXPECT_NE(r.out.find("is read-only again"), std::string::npos) << r.out;
  EXPECT_EQ(Sql(1, "SELECT @@global.read_only"), "1") << "the candidate stayed writable";
  EXPECT_EQ(Sql(0, "SELECT @@global.read_only"), "0") << "the old primary was not reopened";
  EXPECT_EQ(SqlAs(0, "app", kAppPassword, "INSERT INTO app.ids (id) VALUES (1)").exit_code, 0);
  EXPECT_NE(SqlAs(1, "app", kAppPassword, "INSERT INTO app.ids (id) VALUES (2)").exit_code, 0);
}

TEST_F(SwitchoverTest, OpenTransactionsWaitingOnEachOtherDoNotHoldTheFenceBack) {
  Up("async");
  CmdResult holder;
  CmdResult waiter;
  std::thread holding([&] {
    holder = SqlAs(0, "app", kAppPassword,
                   "BEGIN; INSERT INTO app.ids (seq, id) VALUES (1000001, -7); DO SLEEP(3); "
                   "INSERT INTO app.ids (id) VALUES (-8); COMMIT;");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // A holds the row lock
  std::thread waiting([&] {
    waiter = SqlAs(0, "app", kAppPassword, "INSERT INTO app.ids (seq, id) VALUES (1000001, -9)");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // B waits for it
  auto r = Hs("switchover", {"--to", db_->instance(1).name, "--timeout", "10s", "--json"});
  holding.join();
  waiting.join();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json report = Json::parse(r.out);
  EXPECT_LT(report["total_seconds"].get<double>(), 5.0) << r.out;
  EXPECT_NE(report["steps"][1]["detail"].get<std::string>().find("open transaction"),
            std::string::npos)
      << r.out;
  EXPECT_NE(holder.exit_code, 0) << "the open transaction committed on a fenced primary";
  WaitReplicated(1);
  EXPECT_EQ(Sql(1, "SELECT COUNT(*) FROM app.ids WHERE id IN (-7, -8)"), "0");
  // B's insert either never ran (killed) or ran before the fence; either way it is everywhere.
  EXPECT_EQ(Sql(1, "SELECT COUNT(*) FROM app.ids WHERE id = -9"),
            waiter.exit_code == 0 ? "1" : "0");
}

TEST_F(SwitchoverTest, DryRunPrintsThePlanAndChangesNothing) {
  Up("async");
  std::string before = State();
  auto r = Hs("switchover", {"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("prove-fence"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("'dba'@'%'"), std::string::npos) << "the plan names the bypass account";
  EXPECT_EQ(State(), before);
}

TEST_F(SwitchoverTest, SemisyncFailoverAfterKillNineLosesNoAcknowledgedId) {
  Up("semisync");
  MariadbSetWriter writer(WriterOptions());
  writer.Start();
  ASSERT_TRUE(writer.WaitForAcknowledged(300, std::chrono::seconds(30)));
  KillPrimary(0);
  auto r = Hs("failover", {"--require-sync", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("semi-sync: rpl_semi_sync_master_enabled=ON"), std::string::npos) << r.out;
  Json report = Json::parse(r.out);
  int promoted = report["candidate"] == db_->instance(1).name ? 1 : 2;
  ASSERT_TRUE(writer.WaitForAcknowledged(200, std::chrono::seconds(30)))
      << "the writer never reached the new primary";
  writer.Stop();
  SetCheck check = Check(writer, promoted);
  std::printf(
      "failover set test: %ld acknowledged, %ld present, %ld lost, %ld duplicated, "
      "failover %.3f s\n",
      check.acknowledged, check.present, check.lost, check.duplicated,
      report["total_seconds"].get<double>());
  EXPECT_EQ(check.lost, 0);
  EXPECT_EQ(check.duplicated, 0);
  // The old primary comes back read-only (its config carries the fence) and triage names it.
  auto started = hs_.Run(
      {"instance", "start", "-c", "shop", "-n", "sw", "-i", "0"}, "",
      {{"HASTEWARD_INVENTORY", db_->inventory_path()}, {"HASTEWARD_STATE_DIR", db_->state_dir()}});
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  EXPECT_EQ(Sql(0, "SELECT @@global.read_only"), "1");
  auto triage = Hs("triage");
  EXPECT_NE(triage.out.find("fenced old primary"), std::string::npos) << triage.out;
}

// --require-sync promotes only when the old primary's commits waited for a replica: an async
// primary killed -9 is not failed over, and nothing is promoted.
TEST_F(SwitchoverTest, RequireSyncRefusesToFailOverAnAsynchronousPrimary) {
  Up("async");
  KillPrimary(0);
  auto r = Hs("failover", {"--require-sync"});
  EXPECT_EQ(r.exit_code, 24) << r.out << r.err;
  EXPECT_NE(r.err.find("does not enable rpl_semi_sync_master_enabled"), std::string::npos) << r.err;
  EXPECT_EQ(Sql(1, "SELECT @@global.read_only"), "1");
  EXPECT_EQ(Sql(2, "SELECT @@global.read_only"), "1");
}

// A primary that hangs rather than dies (SIGSTOP: it keeps its port and answers nothing) could
// resume after the promotion as a second writable primary. The failover stops it first (its stop
// command cannot end a stopped process: kill -9), and semi-sync loses no acknowledged write.
TEST_F(SwitchoverTest, FailoverOfAHungPrimaryStopsItBeforePromotingAndLosesNothing) {
  Up("semisync");
  MariadbSetWriter writer(WriterOptions());
  writer.Start();
  ASSERT_TRUE(writer.WaitForAcknowledged(300, std::chrono::seconds(30)));
  pid_t hung = ServerPid(0);
  ASSERT_GT(hung, 0);
  ASSERT_EQ(::kill(hung, SIGSTOP), 0);
  auto r = Hs("failover", {"--json", "--timeout", "10s"});
  if (r.exit_code != 0)
    ::kill(hung, SIGCONT);  // let the fixture's teardown stop it
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(core::ProcessAlive(hung)) << "the hung old primary still exists";
  EXPECT_NE(r.out.find("stopped the unresponsive server"), std::string::npos) << r.out;
  Json report = Json::parse(r.out);
  int promoted = report["candidate"] == db_->instance(1).name ? 1 : 2;
  ASSERT_TRUE(writer.WaitForAcknowledged(200, std::chrono::seconds(60)))
      << "the writer never reached the new primary";
  writer.Stop();
  SetCheck check = Check(writer, promoted);
  std::printf("hung-primary failover: %ld acknowledged, %ld lost, %ld duplicated, %.3f s\n",
              check.acknowledged, check.lost, check.duplicated,
              report["total_seconds"].get<double>());
  EXPECT_EQ(check.lost, 0);
  EXPECT_EQ(check.duplicated, 0);
}

// hasteward killed (kill -9 at a failpoint) right after each step of a switchover: at most one
// instance accepts writes afterwards, and the same switchover run again finishes it.
class SwitchoverKillTest : public SwitchoverTest,
                           public ::testing::WithParamInterface<std::string> {
 protected:
  int Writable() {
    int writable = 0;
    for (int n = 0; n < 3; ++n)
      writable += Sql(n, "SELECT @@global.read_only") == "0" ? 1 : 0;
    return writable;
  }
};

TEST_P(SwitchoverKillTest, LeavesAtMostOneWritableInstanceAndARerunFinishes) {
  Up("async");
  const std::string candidate = db_->instance(1).name;
  auto killed = ClusterEnv::On(hs_, *db_, "mariadb")
                    .Hs({"switchover", "--to", candidate},
                        {{"HASTEWARD_FAILPOINT", "switchover-after-" + GetParam()}});
  ASSERT_NE(killed.exit_code, 0) << "the failpoint did not fire: " << killed.out << killed.err;
  EXPECT_LE(Writable(), 1) << "two writable instances after a kill after " << GetParam();
  auto rerun = Hs("switchover", {"--to", candidate, "--json"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  if (GetParam() != "pre-check") {  // from the fence on, the rerun goes on where the kill struck
    EXPECT_NE(rerun.out.find(RerunSays(GetParam())), std::string::npos) << rerun.out;
  }
  EXPECT_EQ(Sql(1, "SELECT @@global.read_only"), "0") << rerun.out;
  EXPECT_EQ(Sql(0, "SELECT @@global.read_only"), "1") << rerun.out;
  EXPECT_TRUE(ConfigIsFenced(0));
  ASSERT_EQ(SqlAs(1, "app", kAppPassword, "INSERT INTO app.ids (id) VALUES (7)").exit_code, 0);
  WaitReplicated(1);
  auto triage = Hs("triage");
  EXPECT_EQ(triage.exit_code, 0) << triage.out << triage.err;
}

INSTANTIATE_TEST_SUITE_P(AfterEveryStep, SwitchoverKillTest, EverySwitchoverStep(),
                         SwitchoverStepTestName);

}  // namespace
}  // namespace hasteward::testing
