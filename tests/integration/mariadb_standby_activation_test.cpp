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
//   written cursor;
// - fail-back: the new primary takes the application's writes, takes a native backup and archives
//   its binlogs; the old site returns fenced (its servers started read-only: they answer TCP and
//   refuse the application's writes); a standby of the new primary declared at the old site with
//   a write probe (the application's account) is verified there (`standby verify`), refused while
//   the new primary takes writes and with a wrong probe password (a clear refusal, never "not
//   writable"); once the new primary is fenced read-only (still answering TCP) the probe says not
//   writable and the fail-back activates the old site, which keeps its replaced data aside, holds
//   every row the application saw committed on both instances and takes writes again, while a
//   poller never sees both sites writable.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
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
constexpr char kBack[] = "shop-back";  // the fail-back standby, declared at the old site

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

  static void AdoptSourceCredentials() {
    core::Status adopted = StandbySites::AdoptSourceCredentials(Source(), Dr());
    ASSERT_TRUE(adopted.ok()) << adopted.ToString();
  }

  // Both instances of the DR site hold `count` rows (the replica may lag a moment).
  static void ExpectRowsOnBothInstances(const std::string& count) {
    core::PollUntil([&] { return Sql(Dr(), 1, "SELECT count(*) FROM shop.orders") == count; },
                    std::chrono::seconds(20), std::chrono::milliseconds(200));
    EXPECT_EQ(Sql(Dr(), 0, "SELECT count(*) FROM shop.orders"), count);
    EXPECT_EQ(Sql(Dr(), 1, "SELECT count(*) FROM shop.orders"), count);
  }

  // The fail-back standby at the old site: follows the DR cluster, probes the DR primary's
  // writability as the application's account (`password`: the account's, or a wrong one).
  static std::string BackConfig(const std::string& name = kBack,
                                const std::string& password = kAppPassword) {
    return sites_->Declare(Source(), Dr(), name, "", "", {.user = "app", .password = password});
  }

  // The application's INSERT of row `id` at `site`; counted in acknowledged_ when it succeeded.
  static CmdResult AppInsert(StandbySite& site, int id, const std::string& note) {
    CmdResult run =
        SqlAs(site, 0, "app", kAppPassword,
              "INSERT INTO shop.orders VALUES (" + std::to_string(id) + ", '" + note + "')");
    acknowledged_ += run.exit_code == 0 ? 1 : 0;
    return run;
  }

  // One archiving cycle of `site`'s binlogs; returns the GTID the archive reaches.
  static std::string ArchiveOnce(StandbySite& site) {
    CmdResult run = site.Hs({"archive", "binlog", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    auto line = nlohmann::json::parse(run.out.substr(run.out.rfind("{\"")), nullptr, false);
    return line.is_object() ? line.value("archived_gtid", "") : "";
  }

  // Both instances of `site` hold exactly the rows the application saw committed.
  static void ExpectAcknowledgedRows(StandbySite& site) {
    const std::string want = std::to_string(acknowledged_);
    core::PollUntil([&] { return Sql(site, 1, "SELECT count(*) FROM shop.orders") == want; },
                    std::chrono::seconds(20), std::chrono::milliseconds(200));
    EXPECT_EQ(Sql(site, 0, "SELECT count(*) FROM shop.orders"), want);
    EXPECT_EQ(Sql(site, 1, "SELECT count(*) FROM shop.orders"), want);
  }

  inline static StandbySites* sites_ = nullptr;
  inline static std::string suite_error_;
  inline static std::unique_ptr<core::Subprocess> archiver_;
  // The source's GTID position after its last commit.
  inline static std::string last_position_;
  // Rows the application saw committed: the source's 201, then each acknowledged INSERT at the
  // DR site (the activation test's row 202 included).
  inline static int acknowledged_ = 202;
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

TEST_F(MariadbStandbyActivationTest, TheNewPrimaryBacksUpAndArchivesWhileTheOldSiteReturnsFenced) {
  for (int id = 203; id <= 210; ++id) {
    EXPECT_EQ(AppInsert(Dr(), id, "before the dr base").exit_code, 0);
  }
  auto backup = Dr().Hs({"backup", "--method", "native"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  for (int id = 211; id <= 220; ++id) {
    EXPECT_EQ(AppInsert(Dr(), id, "after the dr base").exit_code, 0);
  }
  EXPECT_EQ(ArchiveOnce(Dr()), Sql(Dr(), 0, "SELECT @@gtid_binlog_pos"));
  ExpectAcknowledgedRows(Dr());
  // The old site comes back fenced the way an operator brings back a site that must not take
  // writes: its primary's configuration says read_only (its replica's already does), and its
  // credential files are provisioned again (they were lost with the site).
  ASSERT_TRUE(StandbySites::ShareCredentials(Dr(), Source()).ok());
  const platform::Instance& old_primary = Source().cluster->instance(0);
  auto config = core::ReadFileToString(old_primary.config_file);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  WriteFile(old_primary.config_file,
            *config + "\n# fenced until the fail-back\n[mysqld]\nread_only = ON\n");
  for (const char* ordinal : {"0", "1"}) {
    auto started = Source().Hs({"instance", "start", "-i", ordinal});
    ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  }
  ASSERT_TRUE(core::PollUntil([&] { return core::TcpAccepts("127.0.0.1", old_primary.port); },
                              std::chrono::seconds(30)));
  CmdResult fenced = SqlAs(Source(), 0, "app", kAppPassword,
                           "INSERT INTO shop.orders VALUES (900, 'into the fenced old site')");
  EXPECT_NE(fenced.exit_code, 0) << "the returning old site took an application write";
  EXPECT_NE(fenced.err.find("read-only"), std::string::npos) << fenced.err;
  EXPECT_EQ(Sql(Source(), 0, "SELECT count(*) FROM shop.orders"), "201") << "its own history";
}

TEST_F(MariadbStandbyActivationTest,
       FailbackIsRefusedWhileTheNewPrimaryWritesOrTheProbeCannotLogIn) {
  // The old site proves at itself, with only the bucket, that the DR site's newest backup restores.
  auto verified =
      Source().env->Run({"standby", "verify", kBack, "--config", BackConfig(), "--json"});
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  auto json = nlohmann::json::parse(verified.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << verified.out;
  EXPECT_EQ(json["verification"].value("result", ""), "Passed") << verified.out;
  // The new primary takes writes: its probe write succeeds, and the fail-back is refused.
  auto writable = StandbySites::Activate(Source(), BackConfig(), "2026-11-23T12:00:00Z");
  EXPECT_EQ(writable.exit_code, kSafetyStopExit) << writable.err;
  EXPECT_NE(writable.err.find("still writable"), std::string::npos) << writable.err;
  EXPECT_NE(writable.err.find("write probe writable"), std::string::npos) << writable.err;
  // A probe that cannot log in knows nothing: refused as such, not taken for "not writable".
  const std::string bad_config = BackConfig("shop-back-badpw", "not-the-password");
  auto refused = StandbySites::Activate(Source(), bad_config, "2026-11-23T12:00:01Z");
  EXPECT_EQ(refused.exit_code, kSafetyStopExit) << refused.err;
  EXPECT_NE(refused.err.find("cannot tell whether the source cluster is writable"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("write probe refused"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("not-the-password"), std::string::npos) << "a secret in the output";
  EXPECT_TRUE(StandbySites::Record(Source(), kBack).is_null()) << "refusals record nothing";
  EXPECT_TRUE(StandbySites::Record(Source(), "shop-back-badpw").is_null());
}

TEST_F(MariadbStandbyActivationTest,
       FailbackMakesTheOldSiteThePrimaryAgainWithEveryAcknowledgedRow) {
  for (int id = 221; id <= 230; ++id) {
    EXPECT_EQ(AppInsert(Dr(), id, "last rows at the dr site").exit_code, 0);
  }
  // The application is stopped, the archive takes the last of its binlog, then the new primary
  // is fenced read-only: it still answers TCP, and the application's writes are refused.
  const std::string dr_end = Sql(Dr(), 0, "SELECT @@gtid_binlog_pos");
  EXPECT_EQ(ArchiveOnce(Dr()), dr_end);
  Sql(Dr(), 0, "SET GLOBAL read_only = ON");
  EXPECT_NE(AppInsert(Dr(), 990, "into the fenced dr site").exit_code, 0);
  ASSERT_TRUE(core::TcpAccepts("127.0.0.1", Dr().cluster->instance(0).port));
  // A poller: never both sites' primaries writable while the fail-back runs.
  std::atomic<bool> stop{false};
  std::atomic<int> both{0};
  std::thread poller([&] {
    // SQL on the command line, not stdin: a client that cannot connect (an instance the restore
    // stopped) exits before reading it, and writing to it would raise SIGPIPE here.
    auto writable = [](StandbySite& site) {
      CmdResult read_only = SqlAs(site, 0, "app", kAppPassword, "SELECT @@global.read_only");
      return read_only.exit_code == 0 && read_only.out.rfind('0', 0) == 0;
    };
    while (!stop) {
      if (writable(Source()) && writable(Dr())) {
        ++both;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto back = StandbySites::Activate(Source(), BackConfig(), "2026-11-23T12:00:02Z");
  stop = true;
  poller.join();
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
  EXPECT_EQ(both.load(), 0) << "both sites were writable at once";
  EXPECT_EQ(Sql(Dr(), 0, "SELECT @@global.read_only"), "1") << "the fail-back unfenced the DR site";
  EXPECT_NE(back.err.find("write probe not-writable"), std::string::npos) << back.err;
  nlohmann::json record = StandbySites::Record(Source(), kBack);
  EXPECT_EQ(record.value("phase", ""), "Activated");
  EXPECT_EQ(record["audit"].value("replayStop", ""), "GTID " + dr_end);
  // The fail-back replaced the old site's data: the discard gate kept it aside (the token is the
  // consent), where the output says.
  const std::string kept_line =
      "kept the previous data directory of '" + Source().cluster->instance(0).name + "' at '";
  auto at = back.err.find(kept_line);
  ASSERT_NE(at, std::string::npos) << back.err;
  std::string kept = back.err.substr(at + kept_line.size());
  kept.resize(kept.find('\''));
  EXPECT_TRUE(std::filesystem::exists(kept + "/shop/orders.ibd")) << kept;
  // The old site is the primary again with every row the application saw committed.
  ExpectAcknowledgedRows(Source());
  EXPECT_EQ(Sql(Source(), 0, "SELECT @@gtid_binlog_pos"), dr_end);
  EXPECT_EQ(AppInsert(Source(), 231, "written at the old site again").exit_code, 0);
  ExpectAcknowledgedRows(Source());
  EXPECT_NE(AppInsert(Dr(), 991, "into the fenced dr site").exit_code, 0) << "the fence held";
  EXPECT_EQ(Source().Hs({"triage"}).exit_code, 0);
}

}  // namespace
}  // namespace hasteward::testing
