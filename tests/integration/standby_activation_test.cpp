// `hasteward standby activate` across two sandbox "sites" (each its own state dir and inventory)
// sharing one S3 repository on Ceph RGW, driving the real binary. A story (one ctest test, in
// order): `archive enable` without an S3 credentials file is refused; the source (PostgreSQL)
// archives through its credentials file and takes a native backup; activation is refused while the
// backup is unverified and while the source still answers at its probe address; the source is
// killed (kill -9) right after its last row was archived; an activation killed (kill -9) at its
// logged Restoring phase resumes there with a newer token, as does one killed at every later
// step (failpoints: each of the native restore, Replaying, Provisioning), and the new cluster holds
// every archived row; a reused token and a second activation are refused, and `standby status`
// shows the written cursor; then the failback drill: the new primary archives and backs up, a
// standby declared the other way at the old site is refused while the new primary answers,
// activates back once the new primary is fenced with `hasteward instance stop` (its write probe,
// declared with the DR cluster's account, found it writable, then unreachable), a poller never
// sees both writable, and the fenced instance stays down.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/tcp_probe.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/killed_restore.h"
#include "support/sandbox_cluster.h"
#include "support/standby_sites.h"

namespace hasteward::testing {
namespace {

constexpr char kPassword[] = "activation-test";

using Site = StandbySite;

class StandbyActivationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { suite_error_ = Prepare(); }

  static std::string Prepare() {
    auto sites = StandbySites::Start({.engine = platform::EngineKind::kPostgres,
                                      .instances = 1,
                                      .name = "shop",
                                      .password = kPassword,
                                      .temp_prefix = "hs-activate-"});
    if (!sites.ok()) {
      return sites.status().ToString();
    }
    sites_ = std::move(*sites).release();
    return EnableArchiving(Source());
  }

  // The site's server archives into the shared S3 repository with its own readable password and
  // credentials files (it inherits no AWS_* variable from the hasteward that configured it).
  static std::string EnableArchiving(Site& site) {
    std::string file = sites_->PasswordFileFor(site, site);
    std::string keys = sites_->S3CredentialsFileFor(site, site);
    auto enabled =
        Hs(site, {"archive", "enable", "--password-file", file, "--s3-credentials-file", keys});
    return enabled.exit_code == 0 ? "" : "archive enable: " + enabled.out + enabled.err;
  }

  static void TearDownTestSuite() {
    delete sites_;
    sites_ = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(suite_error_.empty()) << suite_error_; }

  static Site& Source() { return sites_->source(); }
  static Site& Dr() { return sites_->dr(); }

  static CmdResult Hs(Site& site, std::vector<std::string> args) {
    return site.Hs(std::move(args));
  }

  static std::string Sql(Site& site, const std::string& sql) {
    auto rows = site.cluster->Sql(0, sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString() << " for " << sql;
    return rows.ok() ? rows->substr(0, rows->find('\n')) : "";
  }

  static std::string Port(Site& site) { return site.Port(); }

  static std::string Declare(Site& at, Site& from, const std::string& name,
                             const std::string& extra, const std::string& probe_port = "") {
    return sites_->Declare(at, from, name, extra, probe_port);
  }

  static CmdResult Activate(Site& at, const std::string& config, const std::string& token,
                            const HastewardEnv::EnvVars& extra_env = {}) {
    return StandbySites::Activate(at, config, token, extra_env);
  }

  // A --confirm token `second` seconds after the first one the story uses.
  static std::string Token(int second) {
    char text[32];
    std::snprintf(text, sizeof text, "2026-11-23T10:%02d:%02dZ", second / 60, second % 60);
    return text;
  }

  // An activation of standby shop-dr killed at `failpoint`: the DR site's data directory is its
  // old one or a restored tree, and the activation does not claim Activated. Its output is added
  // to `outputs` (where kept copies are named).
  static void KillActivationAt(const std::string& failpoint, const std::string& config,
                               const std::string& token, const OldDataDirectory& old,
                               std::string& outputs) {
    SCOPED_TRACE(failpoint);
    auto killed = Activate(Dr(), config, token, {{"HASTEWARD_FAILPOINT", failpoint}});
    ASSERT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
    outputs += killed.err;
    old.ExpectOldOrRestored("global/pg_control");
    EXPECT_NE(Record(Dr(), "shop-dr").value("phase", ""), "Activated");
  }

  static nlohmann::json Record(Site& at, const std::string& name) {
    return StandbySites::Record(at, name);
  }

  static std::string NativeBackup(Site& site) {
    auto run = Hs(site, {"backup", "--method", "native", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto summary = nlohmann::json::parse(run.out.substr(run.out.rfind("{\"")), nullptr, false);
    return summary.is_object() ? summary.value("snapshot_id", "") : "";
  }

  // Switches the WAL segment and waits until the archive holds it (what `pitr status` reads).
  static void SwitchAndWaitArchived(Site& site) {
    std::string segment = Sql(site, "SELECT pg_walfile_name(pg_switch_wal())");
    for (int i = 0; i < 200; ++i) {
      std::string archived =
          Sql(site, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      if (!archived.empty() && archived >= segment) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "segment " << segment << " was never archived";
  }

  static void ShareCredentials(Site& from, Site& to) {
    ASSERT_TRUE(StandbySites::ShareCredentials(from, to).ok());
  }

  static void Kill9(Site& site) {
    auto pid = core::ReadFileToString(site.cluster->instance(0).data_dir + "/postmaster.pid");
    ASSERT_TRUE(pid.ok());
    RunCommand({"kill", "-9", pid->substr(0, pid->find('\n'))});
    ASSERT_TRUE(
        core::PollUntil([&] { return !core::TcpAccepts("127.0.0.1", std::stoi(Port(site))); },
                        std::chrono::seconds(20)));
  }

  inline static StandbySites* sites_ = nullptr;
  inline static std::string suite_error_;
};

// Without a credentials file the server's wal-push would have no S3 keys at all: refused before
// the server is touched (the DR site is not archiving yet; its archive_command stays as it was).
TEST_F(StandbyActivationTest, ArchiveEnableRefusesAnS3RepositoryWithoutCredentialsFile) {
  std::string before = Sql(Dr(), "SHOW archive_command");
  auto refused =
      Hs(Dr(), {"archive", "enable", "--password-file", sites_->PasswordFileFor(Dr(), Dr())});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("--s3-credentials-file"), std::string::npos) << refused.err;
  EXPECT_EQ(Sql(Dr(), "SHOW archive_command"), before);
}

TEST_F(StandbyActivationTest, RefusesAnUnverifiedBackupAndAReachableSource) {
  Sql(Source(), "CREATE TABLE orders (id int PRIMARY KEY, note text)");
  Sql(Source(), "INSERT INTO orders SELECT g, 'before the base' FROM generate_series(1, 100) g");
  ASSERT_FALSE(NativeBackup(Source()).empty());
  auto unverified =
      Activate(Dr(), Declare(Dr(), Source(), "shop-dr", "", "1"), "2026-11-23T10:00:00Z");
  EXPECT_EQ(unverified.exit_code, 24) << unverified.err;
  EXPECT_NE(unverified.err.find("not Restorable"), std::string::npos) << unverified.err;
  // Accepted unverified, but the source still answers at its address.
  std::string config =
      Declare(Dr(), Source(), "shop-dr", "  activation: {acceptUnverified: true}\n");
  auto reachable = Activate(Dr(), config, "2026-11-23T10:00:00Z");
  EXPECT_EQ(reachable.exit_code, 24) << reachable.err;
  EXPECT_NE(reachable.err.find("still writable"), std::string::npos) << reachable.err;
  EXPECT_TRUE(Record(Dr(), "shop-dr").is_null()) << "a refusal records nothing, not even its token";
}

TEST_F(StandbyActivationTest, KilledAtEveryStepResumesAndHasEveryArchivedRow) {
  Sql(Source(), "INSERT INTO orders SELECT g, 'after the base' FROM generate_series(101, 200) g");
  Sql(Source(), "INSERT INTO orders VALUES (201, 'last archived row')");
  SwitchAndWaitArchived(Source());
  Kill9(Source());  // the site is lost seconds after its last commit was archived
  ShareCredentials(Source(), Dr());
  std::string config =
      Declare(Dr(), Source(), "shop-dr", "  activation: {acceptUnverified: true}\n");
  // kill -9 of the activation as soon as it logs that it entered Restoring.
  std::string log = Dr().env->Path("activate.log");
  std::string script = "'" + HastewardBin() + "' standby activate shop-dr --config '" + config +
                       "' --confirm 2026-11-23T10:00:00Z 2>'" + log +
                       "' & pid=$!; for i in $(seq 600); do grep -q 'phase Restoring' '" + log +
                       "' && break; sleep 0.05; done; kill -9 $pid; wait $pid; exit 0";
  RunCommand({"bash", "-c", script}, Dr().env->vars());
  EXPECT_EQ(Record(Dr(), "shop-dr").value("phase", ""), "Restoring");
  // Peer regression: a CloudNativePG replica switchover lost its demotion token on a requeue
  // (cloudnative-pg #11075). The activation's token and phase are durable before each step, so a
  // kill -9 keeps them: the same token is refused as already used, a new one resumes.
  auto reused = Activate(Dr(), config, "2026-11-23T10:00:00Z");
  EXPECT_EQ(reused.exit_code, 26) << reused.err;
  // Issue 30: killed (failpoints) at every later step, each rerun resuming the one before: the DR
  // site's data directory is its old one or a restored tree, never a mixture or nothing, the
  // activation never claims Activated, and the old one is kept whole where an output names it.
  const std::string data_dir = Dr().cluster->instance(0).data_dir;
  ASSERT_EQ(Dr().Hs({"instance", "stop", "-i", "0"}).exit_code, 0);
  auto old = OldDataDirectory::Mark(data_dir, Dr().cluster->instance(0).name, "the DR site's own");
  std::string outputs;
  int second = 0;
  for (const std::string failpoint :
       {"native-restore-prepared", "native-restore-tree", "native-restore-gated",
        "native-restore-swap", "native-restore-swapped", "native-restore-configured",
        "native-restore-started"}) {
    KillActivationAt(failpoint, config, Token(++second), old, outputs);
  }
  // Issue finding 4: wal-fetch exited below 126 when a fetch failed for another reason than "not
  // archived", which PostgreSQL reads as the end of the archive, so recovery could end early. A
  // fetch failing mid-replay (failpoint: an I/O error reading an archived segment) now exits 126:
  // recovery stops and the activation fails, never Activated; the next rerun completes it.
  auto failed_fetch =
      Activate(Dr(), config, Token(++second), {{"HASTEWARD_FAILPOINT", "wal-fetch-read:fail"}});
  EXPECT_NE(failed_fetch.exit_code, 0) << failed_fetch.out << failed_fetch.err;
  // The server stops recovery on the fetch's exit 126, so it never comes up on partial WAL.
  EXPECT_NE(failed_fetch.err.find("phase Failed"), std::string::npos) << failed_fetch.err;
  EXPECT_NE(Record(Dr(), "shop-dr").value("phase", ""), "Activated") << failed_fetch.err;
  // Finding 4, second half: a fetch that calls the newest archived segment "not archived"
  // (failpoint, as a stale listing would) ends replay after the segment before's switch record,
  // exactly at the newest one's start, and the server promotes. The check before (replay position
  // >= the newest segment's start) called that the end of the archive and the activation
  // succeeded without the last archived row. The activation now proves replay consumed the newest
  // segment: it fails, the promoted server is stopped again, and the rerun completes.
  auto hidden_newest = Activate(Dr(), config, Token(++second),
                                {{"HASTEWARD_FAILPOINT", "wal-fetch-hide-newest:fail"}});
  EXPECT_EQ(hidden_newest.exit_code, 28) << hidden_newest.out << hidden_newest.err;
  EXPECT_NE(hidden_newest.err.find("before the end of the archive's newest segment"),
            std::string::npos)
      << hidden_newest.err;
  EXPECT_NE(Record(Dr(), "shop-dr").value("phase", ""), "Activated") << hidden_newest.err;
  // The next run starts over after Failed; killed once it entered Replaying, and once it entered
  // Provisioning, each rerun resumes there.
  KillActivationAt("activation-replaying", config, Token(++second), old, outputs);
  KillActivationAt("activation-provisioning", config, Token(++second), old, outputs);
  auto resumed = Activate(Dr(), config, Token(++second));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  old.ExpectKeptWholeAtANamedPath(outputs + failed_fetch.err + hidden_newest.err + resumed.err);
  nlohmann::json record = Record(Dr(), "shop-dr");
  EXPECT_EQ(record.value("phase", ""), "Activated");
  std::vector<std::string> phases;
  for (const auto& transition : record["transitions"]) {
    phases.push_back(transition.value("phase", ""));
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"Validating", "Restoring", "Replaying", "Replaying",
                                              "Provisioning", "Provisioning", "Activated"}));
  EXPECT_GT(record["audit"].value("replayed", 0), 0);
  // kill -9 left no demotion marker: the end is unknown, never "the source finished".
  EXPECT_EQ(record["audit"].value("sourceEnd", ""), "unknown");
  EXPECT_EQ(record["audit"].value("sourceEndDetail", ""), "unknown end");
  EXPECT_EQ(Sql(Dr(), "SELECT count(*) FROM orders"), "201");
  EXPECT_EQ(Sql(Dr(), "SELECT note FROM orders WHERE id = 201"), "last archived row");
  EXPECT_EQ(Sql(Dr(), "SELECT NOT pg_is_in_recovery()"), "t");
}

TEST_F(StandbyActivationTest, AnActivatedStandbyRefusesAgainAndStatusShowsTheAudit) {
  std::string config =
      Declare(Dr(), Source(), "shop-dr", "  activation: {acceptUnverified: true}\n");
  auto again = Activate(Dr(), config, "2026-11-23T11:00:00Z");
  EXPECT_EQ(again.exit_code, 29) << again.err;
  auto older = Activate(Dr(), config, "2026-11-23T09:00:00Z");
  EXPECT_EQ(older.exit_code, 29) << "activated is checked first: " << older.err;
  auto status = Dr().env->Run({"standby", "status", "shop-dr", "--config", config, "--json"});
  auto json = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << status.out << status.err;
  EXPECT_EQ(json["activation"].value("phase", ""), "Activated");
  EXPECT_EQ(json["activation"]["audit"].value("cluster", ""), "cnpg dr/shop (1 instance(s))");
  EXPECT_FALSE(json["activation"]["audit"].value("replayStop", "").empty());
  // On S3 the standby stores its retention floor cursor (a REST server cannot hold the object).
  EXPECT_TRUE(json["cursor"].value("written", false)) << json["cursor"];
  EXPECT_FALSE(json["cursor"].value("backup", "").empty()) << json["cursor"];
  auto text = Dr().env->Run({"standby", "status", "shop-dr", "--config", config});
  EXPECT_NE(text.out.find("activation: Activated"), std::string::npos) << text.out;
}

// The fail-back fences the new primary the way a user does on the local platform, `hasteward
// instance stop` of each of the DR cluster's instances (the local platform's Fence: the server is
// stopped and nothing restarts it), not a crash: the drill checks that the fence holds, i.e. the
// fenced instance stays down until the old site is writable again.
TEST_F(StandbyActivationTest, FailbackActivatesTheOldSiteOnceTheNewPrimaryIsFenced) {
  ASSERT_EQ(EnableArchiving(Dr()), "");
  Sql(Dr(), "INSERT INTO orders VALUES (202, 'written at the dr site')");
  ASSERT_FALSE(NativeBackup(Dr()).empty());
  Sql(Dr(), "INSERT INTO orders VALUES (203, 'after the dr base')");
  SwitchAndWaitArchived(Dr());
  // The probe writes as the DR cluster's account (PostgreSQL has no account that writes during
  // recovery): refused while the new primary takes writes, unreachable once it is fenced.
  const platform::Credentials& dr_account = Dr().cluster->cluster().credentials;
  auto dr_password = dr_account.password.Resolve();
  ASSERT_TRUE(dr_password.ok()) << dr_password.status().ToString();
  std::string config =
      sites_->Declare(Source(), Dr(), "shop-back", "  activation: {acceptUnverified: true}\n", "",
                      {.user = dr_account.user, .password = *dr_password});
  auto refused = Activate(Source(), config, "2026-11-23T12:00:00Z");
  EXPECT_EQ(refused.exit_code, 24) << "the new primary still answers: " << refused.err;
  // A poller: never both sites writable while the fail-back runs, and once fenced, no DR instance
  // accepts a connection again.
  std::atomic<bool> stop{false};
  std::atomic<bool> fenced{false};
  std::atomic<int> both{0};
  std::atomic<int> dr_back{0};
  const std::vector<platform::Instance> dr_instances = Dr().cluster->cluster().instances;
  std::thread poller([&] {
    while (!stop) {
      auto writable = [](Site& site) {
        auto rows = site.cluster->Sql(0, "SELECT NOT pg_is_in_recovery()");
        return rows.ok() && rows->rfind("t", 0) == 0;
      };
      bool was_fenced = fenced;  // read before probing: a fence still in progress is not judged
      if (writable(Source()) && writable(Dr())) {
        ++both;
      }
      for (const auto& instance : dr_instances) {
        if (was_fenced && core::TcpAccepts(instance.host, instance.port)) {
          ++dr_back;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  for (const auto& instance : dr_instances) {
    auto stopped = Hs(Dr(), {"instance", "stop", "-i", std::to_string(instance.ordinal)});
    EXPECT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
    EXPECT_NE(stopped.out.find(instance.name + ": stopped"), std::string::npos) << stopped.out;
  }
  fenced = true;
  auto back = Activate(Source(), config, "2026-11-23T12:00:01Z");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a few more polls, fenced
  stop = true;
  poller.join();
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
  EXPECT_EQ(both.load(), 0);
  EXPECT_EQ(dr_back.load(), 0) << "a fenced DR instance accepted connections again";
  for (const auto& instance : dr_instances) {
    auto status = Hs(Dr(), {"instance", "status", "-i", std::to_string(instance.ordinal)});
    EXPECT_NE(status.out.find(instance.name + ": stopped"), std::string::npos) << status.out;
  }
  EXPECT_EQ(Sql(Source(), "SELECT count(*) FROM orders"), "203");
}

}  // namespace
}  // namespace hasteward::testing
