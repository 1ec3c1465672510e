// `hasteward standby activate` for MariaDB across two sandbox "sites" (primary + async replica
// each, its own state dir and inventory) sharing one S3 repository on Ceph RGW, driving the real
// binary. A story (one ctest test, in order):
// - the source takes a native base, keeps writing while `archive binlog --follow` archives, and
//   dies (kill -9 of both servers and the archiver) 5 s after its last commit; while it still
//   answered, activation was refused and recorded nothing;
// - the activation is killed (kill -9, HASTEWARD_FAILPOINT) in each phase: Validating, Restoring
//   (after the base restore, before the binlog replay: the worst place, where the restored primary
//   must refuse the application account's writes), Replaying, Provisioning;
//   each rerun with a newer token resumes at the recorded phase, a reused or older token is
//   refused (26) without touching the record; the last run activates, and the new cluster holds
//   every archived row on both instances, at the source's last GTID position, writable by the
//   application account;
// - a second activation is refused (29), also with an older token; `standby status` shows the
//   written cursor.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/subprocess.h"
#include "core/tcp_probe.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"
#include "support/standby_sites.h"

namespace hasteward::testing {
namespace {

constexpr char kPassword[] = "mariadb-activation-test";
constexpr char kAppPassword[] = "app-secret";  // an application account: INSERT, no admin privilege
constexpr char kStandby[] = "shop-dr";
constexpr char kAcceptUnverified[] = "  activation: {acceptUnverified: true}\n";
constexpr int kSafetyStopExit = 24;    // docs/exit-codes.md
constexpr int kConfirmationExit = 26;  // a token not after the last used one
constexpr int kActivatedExit = 29;     // already activated

class MariadbStandbyActivationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto sites = StandbySites::Start({.engine = platform::EngineKind::kMariadb,
                                      .instances = 2,
                                      .name = "shop",
                                      .password = kPassword,
                                      .temp_prefix = "hs-mdb-activate-"});
    if (!sites.ok()) {
      suite_error_ = sites.status().ToString();
      return;
    }
    sites_ = std::move(*sites).release();
  }

  static void TearDownTestSuite() {
    if (archiver_) {
      archiver_->Signal(SIGKILL);
      archiver_->Wait();
      archiver_.reset();
    }
    delete sites_;
    sites_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(sites_, nullptr) << suite_error_;
    ASSERT_TRUE(suite_error_.empty()) << suite_error_;
  }

  static StandbySite& Source() { return sites_->source(); }
  static StandbySite& Dr() { return sites_->dr(); }

  static std::string Sql(StandbySite& site, int ordinal, const std::string& sql) {
    auto rows = site.cluster->Sql(ordinal, sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString() << " for " << sql;
    std::string text = rows.ok() ? *rows : "";
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    return text;
  }

  // SQL as `user` on instance `ordinal` with the stock client (the admin's Sql cannot show what
  // read_only does to an ordinary account).
  static CmdResult SqlAs(StandbySite& site, int ordinal, const std::string& user,
                         const std::string& password, const std::string& sql) {
    const platform::Instance& instance = site.cluster->instance(ordinal);
    return RunCommand({"mariadb", "--no-defaults", "--protocol=tcp", "-h", instance.host, "-P",
                       std::to_string(instance.port), "-u", user, "--batch", "-N", "-e", sql},
                      {{"MYSQL_PWD", password}});
  }

  static std::string Config() {
    return sites_->Declare(Dr(), Source(), kStandby, kAcceptUnverified);
  }

  // An activation run with HASTEWARD_FAILPOINT=`failpoint` ("" = none).
  static CmdResult Activate(const std::string& token, const std::string& failpoint = "") {
    HastewardEnv::EnvVars env;
    if (!failpoint.empty()) {
      env["HASTEWARD_FAILPOINT"] = failpoint;
    }
    return StandbySites::Activate(Dr(), Config(), token, env);
  }

  static nlohmann::json Record() { return StandbySites::Record(Dr(), kStandby); }

  // kill -9 of instance `ordinal`'s server (its pid file is beside its data directory).
  static void Kill9(StandbySite& site, int ordinal) {
    const platform::Instance& instance = site.cluster->instance(ordinal);
    std::string dir = instance.data_dir.substr(0, instance.data_dir.rfind('/'));
    auto pid = core::ReadFileToString(dir + "/mariadbd.pid");
    ASSERT_TRUE(pid.ok()) << pid.status().ToString();
    RunCommand({"kill", "-9", pid->substr(0, pid->find('\n'))});
    ASSERT_TRUE(core::PollUntil([&] { return !core::TcpAccepts("127.0.0.1", instance.port); },
                                std::chrono::seconds(20)));
  }

  // The DR cluster runs with the source's credentials (a replicated secret), as docs/standby.md
  // requires: the physical restore brings the source's users to the restored primary, and its
  // replicas are rebuilt by a client that logs in to them with the inventory's credentials. Set on
  // the DR primary (replicated to its replica), then in the DR inventory's files.
  static void AdoptSourceCredentials() {
    const platform::Cluster& source = Source().cluster->cluster();
    std::string alter;  // one statement list: the admin's own password changes in it
    for (const platform::Credentials* credentials : {&source.replication, &source.credentials}) {
      auto password = core::ReadFileToString(credentials->password.file);
      ASSERT_TRUE(password.ok()) << password.status().ToString();
      std::string hosts = Sql(Dr(), 0,
                              "SELECT GROUP_CONCAT(host SEPARATOR ' ') FROM mysql.user WHERE user "
                              "= '" +
                                  credentials->user + "'");
      ASSERT_FALSE(hosts.empty()) << credentials->user;
      for (size_t start = 0; start < hosts.size();) {
        size_t end = std::min(hosts.find(' ', start), hosts.size());
        alter += "ALTER USER '" + credentials->user + "'@'" + hosts.substr(start, end - start) +
                 "' IDENTIFIED BY '" + password->substr(0, password->find('\n')) + "';\n";
        start = end + 1;
      }
    }
    Sql(Dr(), 0, alter);
    ASSERT_TRUE(StandbySites::ShareCredentials(Source(), Dr()).ok());
    // The replica applied it once the source's admin password logs in there too.
    EXPECT_TRUE(core::PollUntil([&] { return Dr().cluster->Sql(1, "SELECT 1").ok(); },
                                std::chrono::seconds(20), std::chrono::milliseconds(100)));
  }

  // Both instances of the DR site hold `count` rows (the replica may lag a moment).
  static void ExpectRowsOnBothInstances(const std::string& count) {
    core::PollUntil([&] { return Sql(Dr(), 1, "SELECT count(*) FROM shop.orders") == count; },
                    std::chrono::seconds(20), std::chrono::milliseconds(200));
    EXPECT_EQ(Sql(Dr(), 0, "SELECT count(*) FROM shop.orders"), count);
    EXPECT_EQ(Sql(Dr(), 1, "SELECT count(*) FROM shop.orders"), count);
  }

  inline static StandbySites* sites_ = nullptr;
  inline static std::string suite_error_;
  inline static std::unique_ptr<core::Subprocess> archiver_;
  // The source's GTID position after its last commit.
  inline static std::string last_position_;
};

TEST_F(MariadbStandbyActivationTest, TheSourceDiesFiveSecondsAfterItsLastArchivedCommit) {
  Sql(Source(), 0,
      "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(40)); "
      "INSERT INTO shop.orders SELECT seq, 'before the base' FROM shop.seq_1_to_100; "
      "CREATE USER 'app'@'%' IDENTIFIED BY '" +
          std::string(kAppPassword) + "'; GRANT SELECT, INSERT ON shop.* TO 'app'@'%';");
  auto backup = Source().Hs({"backup", "--method", "native"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  // The source's archiver, as it runs at its site: one cycle a second until the site dies.
  core::SubprocessOptions archiver;
  archiver.argv = {HastewardBin(), "archive", "binlog", "--follow", "-e",
                   "mariadb",      "-c",      "shop",   "-n",       "src"};
  archiver.env_set = Source().env->vars();
  archiver.stdout_mode = core::StdioMode::kNull;
  auto started = core::Subprocess::Start(archiver);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  archiver_ = std::move(*started);
  Sql(Source(), 0, "INSERT INTO shop.orders SELECT seq, 'after the base' FROM shop.seq_101_to_200");
  // Refused while the source answers at its probe address; a refusal records nothing.
  auto reachable = Activate("2026-11-23T09:00:00Z");
  EXPECT_EQ(reachable.exit_code, kSafetyStopExit) << reachable.err;
  EXPECT_NE(reachable.err.find("still writable"), std::string::npos) << reachable.err;
  EXPECT_TRUE(Record().is_null()) << "a refusal records nothing, not even its token";
  Sql(Source(), 0, "INSERT INTO shop.orders VALUES (201, 'committed 5 s before the end')");
  last_position_ = Sql(Source(), 0, "SELECT @@gtid_binlog_pos");
  std::this_thread::sleep_for(std::chrono::seconds(5));
  // The site is lost at once: both servers and the archiver.
  archiver_->Signal(SIGKILL);
  archiver_->Wait();
  archiver_.reset();
  Kill9(Source(), 0);
  Kill9(Source(), 1);
  AdoptSourceCredentials();
  // The source site's files are lost with it: the activation must need none of them.
  for (const auto* credentials :
       {&Source().cluster->cluster().credentials, &Source().cluster->cluster().replication}) {
    ASSERT_EQ(::unlink(credentials->password.file.c_str()), 0) << credentials->password.file;
  }
}

TEST_F(MariadbStandbyActivationTest, KilledInEachPhaseResumesThereAndEndsWithEveryArchivedRow) {
  // Validating: killed right after the phase is durable.
  auto validating = Activate("2026-11-23T10:00:01Z", "activation-validating");
  EXPECT_EQ(validating.exit_code, -1) << validating.err;
  EXPECT_EQ(Record().value("phase", ""), "Validating");
  // A reused token and an older one are refused and change nothing.
  auto reused = Activate("2026-11-23T10:00:01Z");
  EXPECT_EQ(reused.exit_code, kConfirmationExit) << reused.err;
  auto older = Activate("2026-11-23T09:30:00Z");
  EXPECT_EQ(older.exit_code, kConfirmationExit) << older.err;
  EXPECT_EQ(Record().value("lastToken", ""), "2026-11-23T10:00:01Z");
  EXPECT_EQ(Record().value("phase", ""), "Validating");
  // Restoring: killed with the base restored and no binlog replayed yet.
  auto restoring = Activate("2026-11-23T10:00:02Z", "binlog-restore-before-replay");
  EXPECT_EQ(restoring.exit_code, -1) << restoring.err;
  EXPECT_EQ(Record().value("phase", ""), "Restoring");
  // The restored primary runs on the base with nothing replayed: the application must not write
  // into it (the rerun would restore over that write, or the replay would fork on it).
  CmdResult half_replayed =
      SqlAs(Dr(), 0, "app", kAppPassword, "INSERT INTO shop.orders VALUES (900, 'half-replayed')");
  EXPECT_NE(half_replayed.exit_code, 0) << "the half-replayed primary took an application write";
  EXPECT_NE(half_replayed.err.find("read-only"), std::string::npos) << half_replayed.err;
  // Replaying and Provisioning: each killed as it starts.
  auto replaying = Activate("2026-11-23T10:00:03Z", "activation-replaying");
  EXPECT_EQ(replaying.exit_code, -1) << replaying.err;
  EXPECT_EQ(Record().value("phase", ""), "Replaying");
  auto provisioning = Activate("2026-11-23T10:00:04Z", "activation-provisioning");
  EXPECT_EQ(provisioning.exit_code, -1) << provisioning.err;
  EXPECT_EQ(Record().value("phase", ""), "Provisioning");
  auto done = Activate("2026-11-23T10:00:05Z");
  ASSERT_EQ(done.exit_code, 0) << done.out << done.err;
  nlohmann::json record = Record();
  EXPECT_EQ(record.value("phase", ""), "Activated");
  // The restart at Validating began a new audit; each later run re-entered its recorded phase.
  EXPECT_EQ(StandbySites::Phases(record),
            (std::vector<std::string>{"Validating", "Restoring", "Restoring", "Replaying",
                                      "Replaying", "Provisioning", "Provisioning", "Activated"}));
  EXPECT_GT(record["audit"].value("replayed", 0), 0);
  EXPECT_EQ(record["audit"].value("replayStop", ""), "GTID " + last_position_);
  ExpectRowsOnBothInstances("201");
  EXPECT_EQ(Sql(Dr(), 0, "SELECT note FROM shop.orders WHERE id = 201"),
            "committed 5 s before the end");
  EXPECT_EQ(Sql(Dr(), 0, "SELECT @@gtid_binlog_pos"), last_position_);
  // The new primary takes the application's writes and its replica follows.
  CmdResult written = SqlAs(Dr(), 0, "app", kAppPassword,
                            "INSERT INTO shop.orders VALUES (202, 'written at the dr site')");
  EXPECT_EQ(written.exit_code, 0) << written.err;
  ExpectRowsOnBothInstances("202");
  EXPECT_EQ(Dr().Hs({"triage"}).exit_code, 0);
}

TEST_F(MariadbStandbyActivationTest, AnActivatedStandbyRefusesEveryFurtherActivation) {
  auto again = Activate("2026-11-23T11:00:00Z");
  EXPECT_EQ(again.exit_code, kActivatedExit) << again.err;
  auto older = Activate("2026-11-23T09:00:00Z");
  EXPECT_EQ(older.exit_code, kActivatedExit) << "activated is checked first: " << older.err;
  EXPECT_EQ(Record().value("lastToken", ""), "2026-11-23T10:00:05Z");
  auto status = Dr().env->Run({"standby", "status", kStandby, "--config", Config(), "--json"});
  auto json = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << status.out << status.err;
  EXPECT_EQ(json["activation"]["audit"].value("cluster", ""), "mariadb dr/shop (2 instance(s))");
  // On S3 the standby stores its retention floor cursor (a REST server cannot hold the object).
  EXPECT_TRUE(json["cursor"].value("written", false)) << json["cursor"];
  EXPECT_FALSE(json["cursor"].value("backup", "").empty()) << json["cursor"];
  EXPECT_EQ(Sql(Dr(), 0, "SELECT count(*) FROM shop.orders"), "202");
}

}  // namespace
}  // namespace hasteward::testing
