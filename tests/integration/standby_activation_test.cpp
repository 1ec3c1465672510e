// `hasteward standby activate` across two sandbox "sites" (each its own state dir and inventory)
// sharing one repository, driving the real binary. A story (one ctest test, in order): the source
// (PostgreSQL) archives and takes a native backup; activation is refused while the backup is
// unverified and while the source still answers at its probe address; the source is killed
// (kill -9) right after its last row was archived; an activation killed (kill -9) at its logged
// Restoring phase resumes there with a newer token, and the new cluster holds every archived row;
// a reused token and a second activation are refused; then the failback drill: the new primary
// archives and backs up, a standby declared the other way at the old site is refused while the new
// primary answers, activates back once it is stopped, and a poller never sees both writable.
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/tcp_probe.h"
#include "core/wait_until.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {
namespace {

constexpr char kPassword[] = "activation-test";

// One site: a sandbox cluster and the hasteward environment on its state dir and inventory.
struct Site {
  std::unique_ptr<SandboxCluster> cluster;
  std::unique_ptr<HastewardEnv> env;
};

class StandbyActivationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { suite_error_ = Prepare(); }

  static std::string Prepare() {
    for (auto [site, ns] : {std::pair{&source_, "src"}, std::pair{&dr_, "dr"}}) {
      auto cluster = SandboxCluster::Create(
          {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "shop", .ns = ns});
      if (!cluster.ok()) {
        return cluster.status().ToString();
      }
      site->cluster = std::move(*cluster);
      HastewardEnv::Options options;
      options.temp_prefix = std::string("hs-activate-") + ns + "-";
      options.password = kPassword;
      options.state_dir = site->cluster->state_dir();
      options.inventory = site->cluster->inventory_path();
      site->env = std::make_unique<HastewardEnv>(options);
    }
    auto server = RestTestServer::Start(source_.env->Path("rest"));
    if (!server.ok()) {
      return server.status().ToString();
    }
    server_ = std::move(*server).release();
    for (Site* site : {&source_, &dr_}) {
      site->env->UseRepository(server_->Location("repo/"));
    }
    if (auto init = source_.env->Run({"repo", "init"}); init.exit_code != 0) {
      return "repo init: " + init.err;
    }
    return EnableArchiving(source_);
  }

  // The site's server archives into the shared repository with its own readable password file.
  static std::string EnableArchiving(Site& site) {
    std::string file = PasswordFileFor(site, site);
    auto enabled = Hs(site, {"archive", "enable", "--password-file", file});
    return enabled.exit_code == 0 ? "" : "archive enable: " + enabled.out + enabled.err;
  }

  // A password file at `site`, readable by the OS user of `reader`'s instance (the server's
  // wal-push / wal-fetch read it).
  static std::string PasswordFileFor(Site& site, Site& reader) {
    std::string file = site.env->Path("password-for-" + reader.cluster->cluster().ns);
    WriteFile(file, std::string(kPassword) + "\n");
    RunCommand({"chown", reader.cluster->instance(0).os_user, file});
    ::chmod(file.c_str(), 0600);
    return file;
  }

  static void TearDownTestSuite() {
    source_ = {};
    dr_ = {};
    delete server_;
  }

  void SetUp() override { ASSERT_TRUE(suite_error_.empty()) << suite_error_; }

  static CmdResult Hs(Site& site, std::vector<std::string> args) {
    args.insert(args.end(), {"-e", "cnpg", "-c", "shop", "-n", site.cluster->cluster().ns});
    return site.env->Run(args);
  }

  static std::string Sql(Site& site, const std::string& sql) {
    auto rows = site.cluster->Sql(0, sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString() << " for " << sql;
    return rows.ok() ? rows->substr(0, rows->find('\n')) : "";
  }

  static std::string Port(Site& site) { return std::to_string(site.cluster->instance(0).port); }

  // Standby `name` at site `at`, following `from`'s cluster and restoring into `at`'s, probing
  // `from`'s server (`probe_port` "" = its port; "1" = nothing listens).
  static std::string Declare(Site& at, Site& from, const std::string& name,
                             const std::string& extra, const std::string& probe_port = "") {
    std::string path = at.env->Path(name + ".yaml");
    WriteFile(path, "standbys:\n- name: " + name +
                        "\n  source:\n    repository: " + server_->Location("repo/") +
                        "\n    passwordFile: " + PasswordFileFor(at, at) +
                        "\n    probe: 127.0.0.1:" + (probe_port.empty() ? Port(from) : probe_port) +
                        "\n    cluster: {engine: cnpg, namespace: " + from.cluster->cluster().ns +
                        ", name: shop}\n  template: {engine: cnpg, " +
                        "instances: 1, namespace: " + at.cluster->cluster().ns + ", name: shop}\n" +
                        extra + "  stateFile: " + at.env->Path(name + "-state.json") + "\n");
    return path;
  }

  static CmdResult Activate(Site& at, const std::string& config, const std::string& token) {
    std::string name = config.substr(config.rfind('/') + 1);
    name.resize(name.size() - 5);
    return at.env->Run({"standby", "activate", name, "--config", config, "--confirm", token});
  }

  static nlohmann::json Record(Site& at, const std::string& name) {
    auto text = core::ReadFileToString(at.env->Path(name + "-state-activation.json"));
    return text.ok() ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
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

  // A physical restore brings the source's roles and passwords: the DR site's inventory must
  // hold the source's credentials (provisioned ahead, as a replicated secret would be).
  static void ShareCredentials(Site& from, Site& to) {
    const platform::Cluster& source = from.cluster->cluster();
    const platform::Cluster& target = to.cluster->cluster();
    for (auto [from_file, to_file] :
         {std::pair{source.credentials.password.file, target.credentials.password.file},
          std::pair{source.replication.password.file, target.replication.password.file}}) {
      auto text = core::ReadFileToString(from_file);
      ASSERT_TRUE(text.ok()) << from_file;
      WriteFile(to_file, *text);
    }
  }

  static void Kill9(Site& site) {
    auto pid = core::ReadFileToString(site.cluster->instance(0).data_dir + "/postmaster.pid");
    ASSERT_TRUE(pid.ok());
    RunCommand({"kill", "-9", pid->substr(0, pid->find('\n'))});
    ASSERT_TRUE(core::WaitUntil(std::chrono::seconds(20), [&] {
      return !core::TcpAccepts("127.0.0.1", std::stoi(Port(site)));
    }));
  }

  static Site source_;
  static Site dr_;
  static RestTestServer* server_;
  static std::string suite_error_;
};

Site StandbyActivationTest::source_;
Site StandbyActivationTest::dr_;
RestTestServer* StandbyActivationTest::server_ = nullptr;
std::string StandbyActivationTest::suite_error_;

TEST_F(StandbyActivationTest, RefusesAnUnverifiedBackupAndAReachableSource) {
  Sql(source_, "CREATE TABLE orders (id int PRIMARY KEY, note text)");
  Sql(source_, "INSERT INTO orders SELECT g, 'before the base' FROM generate_series(1, 100) g");
  ASSERT_FALSE(NativeBackup(source_).empty());
  auto unverified =
      Activate(dr_, Declare(dr_, source_, "shop-dr", "", "1"), "2026-11-23T10:00:00Z");
  EXPECT_EQ(unverified.exit_code, 24) << unverified.err;
  EXPECT_NE(unverified.err.find("not Restorable"), std::string::npos) << unverified.err;
  // Accepted unverified, but the source still answers at its address.
  std::string config = Declare(dr_, source_, "shop-dr", "  activation: {acceptUnverified: true}\n");
  auto reachable = Activate(dr_, config, "2026-11-23T10:00:00Z");
  EXPECT_EQ(reachable.exit_code, 24) << reachable.err;
  EXPECT_NE(reachable.err.find("still writable"), std::string::npos) << reachable.err;
  EXPECT_TRUE(Record(dr_, "shop-dr").is_null()) << "a refusal records nothing, not even its token";
}

TEST_F(StandbyActivationTest, KilledInRestoringResumesAndHasEveryArchivedRow) {
  Sql(source_, "INSERT INTO orders SELECT g, 'after the base' FROM generate_series(101, 200) g");
  Sql(source_, "INSERT INTO orders VALUES (201, 'last archived row')");
  SwitchAndWaitArchived(source_);
  Kill9(source_);  // the site is lost seconds after its last commit was archived
  ShareCredentials(source_, dr_);
  std::string config = Declare(dr_, source_, "shop-dr", "  activation: {acceptUnverified: true}\n");
  // kill -9 of the activation as soon as it logs that it entered Restoring.
  std::string log = dr_.env->Path("activate.log");
  std::string script = "'" + HastewardBin() + "' standby activate shop-dr --config '" + config +
                       "' --confirm 2026-11-23T10:00:00Z 2>'" + log +
                       "' & pid=$!; for i in $(seq 600); do grep -q 'phase Restoring' '" + log +
                       "' && break; sleep 0.05; done; kill -9 $pid; wait $pid; exit 0";
  RunCommand({"bash", "-c", script}, dr_.env->vars());
  EXPECT_EQ(Record(dr_, "shop-dr").value("phase", ""), "Restoring");
  auto reused = Activate(dr_, config, "2026-11-23T10:00:00Z");
  EXPECT_EQ(reused.exit_code, 26) << reused.err;
  auto resumed = Activate(dr_, config, "2026-11-23T10:00:01Z");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  nlohmann::json record = Record(dr_, "shop-dr");
  EXPECT_EQ(record.value("phase", ""), "Activated");
  std::vector<std::string> phases;
  for (const auto& transition : record["transitions"]) {
    phases.push_back(transition.value("phase", ""));
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"Validating", "Restoring", "Restoring", "Replaying",
                                              "Provisioning", "Activated"}));
  EXPECT_GT(record["audit"].value("replayed", 0), 0);
  EXPECT_EQ(Sql(dr_, "SELECT count(*) FROM orders"), "201");
  EXPECT_EQ(Sql(dr_, "SELECT note FROM orders WHERE id = 201"), "last archived row");
  EXPECT_EQ(Sql(dr_, "SELECT NOT pg_is_in_recovery()"), "t");
}

TEST_F(StandbyActivationTest, AnActivatedStandbyRefusesAgainAndStatusShowsTheAudit) {
  std::string config = Declare(dr_, source_, "shop-dr", "  activation: {acceptUnverified: true}\n");
  auto again = Activate(dr_, config, "2026-11-23T11:00:00Z");
  EXPECT_EQ(again.exit_code, 29) << again.err;
  auto older = Activate(dr_, config, "2026-11-23T09:00:00Z");
  EXPECT_EQ(older.exit_code, 29) << "activated is checked first: " << older.err;
  auto status = dr_.env->Run({"standby", "status", "shop-dr", "--config", config, "--json"});
  auto json = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << status.out << status.err;
  EXPECT_EQ(json["activation"].value("phase", ""), "Activated");
  EXPECT_EQ(json["activation"]["audit"].value("cluster", ""), "cnpg dr/shop (1 instance(s))");
  EXPECT_FALSE(json["activation"]["audit"].value("replayStop", "").empty());
  auto text = dr_.env->Run({"standby", "status", "shop-dr", "--config", config});
  EXPECT_NE(text.out.find("activation: Activated"), std::string::npos) << text.out;
}

TEST_F(StandbyActivationTest, FailbackActivatesTheOldSiteOnceTheNewPrimaryIsStopped) {
  ASSERT_EQ(EnableArchiving(dr_), "");
  Sql(dr_, "INSERT INTO orders VALUES (202, 'written at the dr site')");
  ASSERT_FALSE(NativeBackup(dr_).empty());
  Sql(dr_, "INSERT INTO orders VALUES (203, 'after the dr base')");
  SwitchAndWaitArchived(dr_);
  std::string config =
      Declare(source_, dr_, "shop-back", "  activation: {acceptUnverified: true}\n");
  auto refused = Activate(source_, config, "2026-11-23T12:00:00Z");
  EXPECT_EQ(refused.exit_code, 24) << "the new primary still answers: " << refused.err;
  // A poller: never both sites writable while the fail-back runs.
  std::atomic<bool> stop{false};
  std::atomic<int> both{0};
  std::thread poller([&] {
    while (!stop) {
      auto writable = [](Site& site) {
        auto rows = site.cluster->Sql(0, "SELECT NOT pg_is_in_recovery()");
        return rows.ok() && rows->rfind("t", 0) == 0;
      };
      if (writable(source_) && writable(dr_)) {
        ++both;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  Kill9(dr_);  // fenced: the DR primary is down before the old site activates
  auto back = Activate(source_, config, "2026-11-23T12:00:01Z");
  stop = true;
  poller.join();
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
  EXPECT_EQ(both.load(), 0);
  EXPECT_EQ(Sql(source_, "SELECT count(*) FROM orders"), "203");
}

}  // namespace
}  // namespace hasteward::testing
