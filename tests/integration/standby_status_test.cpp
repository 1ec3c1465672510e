// `hasteward standby status` against a real PostgreSQL sandbox archiving into a repository (over
// HTTP: the server's archive_command runs as its own OS user), driving the real binary. The
// tests continue one cluster in order (a story, run as one ctest test): a wrong password is
// BucketReadable False with the reason; after a dump and a native backup the newest backup
// (by recorded end) is discovered and, with the archive complete and nothing written since, the
// source is idle and not Stale; once the server's archiving breaks and a native backup proves
// writes past the archive, the standby is Stale past a 2-second bound (and only catching up under
// a 1-hour one).
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cluster_env.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"
#include "support/server_user_file.h"

namespace hasteward::testing {
namespace {

constexpr char kPassword[] = "standby-test";

class StandbyStatusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cluster = SandboxCluster::Create(
        {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "shop", .ns = "sb"});
    // Not an assertion: gtest reports a failed SetUpTestSuite as skips; SetUp fails each test.
    if (!cluster.ok()) {
      suite_error_ = cluster.status().ToString();
      return;
    }
    pg_ = std::move(*cluster).release();
    HastewardEnv::Options options;
    options.temp_prefix = "hs-standby-";
    options.password = kPassword;
    options.state_dir = pg_->state_dir();
    options.inventory = pg_->inventory_path();
    hs_ = new HastewardEnv(options);
    auto server = RestTestServer::Start(hs_->Path("rest"));
    if (!server.ok()) {
      suite_error_ = server.status().ToString();
      return;
    }
    server_ = std::move(*server).release();
    hs_->UseRepository(server_->Location("repo/"));
    suite_error_ = Prepare();
  }

  // The repository, the server's own password file and archiving; "" when all went well.
  static std::string Prepare() {
    if (auto init = hs_->Run({"repo", "init"}); init.exit_code != 0) {
      return "repo init: " + init.err;
    }
    auto server_password =
        WriteServerPasswordFile(ServerPasswordFile(), kPassword, pg_->instance(0).os_user);
    if (!server_password.ok()) {
      return server_password.status().ToString();
    }
    WriteFile(hs_->Path("standby-password"), std::string(kPassword) + "\n");
    WriteFile(hs_->Path("wrong-password"), "not-the-password\n");
    auto enabled = Hs({"archive", "enable", "--password-file", ServerPasswordFile()});
    return enabled.exit_code == 0 ? "" : "archive enable: " + enabled.out + enabled.err;
  }

  void SetUp() override {
    ASSERT_NE(pg_, nullptr) << "the suite's sandbox did not start: " << suite_error_;
    ASSERT_TRUE(suite_error_.empty()) << suite_error_;
  }

  static void TearDownTestSuite() {
    delete pg_;  // before the server: it archives until it has stopped
    delete server_;
    delete hs_;
  }

  static std::string ServerPasswordFile() { return hs_->Path("server-password"); }

  static CmdResult Hs(std::vector<std::string> args) {
    return ClusterEnv::On(*hs_, *pg_, "cnpg").Hs(std::move(args));
  }

  static std::string Sql(const std::string& sql) { return SqlOn(*pg_, sql); }

  // A declaration of standby "shop-dr" reading the repository with `password_file`.
  static std::string Declaration(const std::string& password_file,
                                 const std::string& max_staleness) {
    std::string path = hs_->Path("standby-" + max_staleness + ".yaml");
    WriteFile(path, "standbys:\n- name: shop-dr\n  source:\n    repository: " +
                        server_->Location("repo/") + "\n    passwordFile: " + password_file +
                        "\n    cluster: {engine: cnpg, namespace: sb, name: shop}\n"
                        "  template: {engine: cnpg, instances: 1, namespace: dr, name: shop}\n"
                        "  freshness: {maxStaleness: " +
                        max_staleness + "}\n  stateFile: " + hs_->Path("standby-state.json") +
                        "\n");
    return path;
  }

  // NOLINTNEXTLINE(bugprone-exception-escape): a test's result holder; a throw fails the test
  struct Status {
    int exit_code = -1;
    nlohmann::json json;
  };

  static Status StandbyStatus(const std::string& config) {
    auto run = hs_->Run({"standby", "status", "shop-dr", "--config", config, "--json"});
    Status status{run.exit_code, nlohmann::json::parse(run.out, nullptr, false)};
    EXPECT_TRUE(status.json.is_object()) << run.out << run.err;
    return status;
  }

  static nlohmann::json Condition(const Status& status, const std::string& type) {
    for (const auto& condition : status.json.value("conditions", nlohmann::json::array())) {
      if (condition.value("type", "") == type) {
        return condition;
      }
    }
    return nlohmann::json::object();
  }

  // Polls until the freshness state is `state` (the archiver works asynchronously).
  static Status WaitForFreshness(const std::string& config, const std::string& state) {
    Status status;
    for (int i = 0; i < 120; ++i) {
      status = StandbyStatus(config);
      if (status.json.is_object() && status.json["freshness"].value("state", "") == state) {
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ADD_FAILURE() << "freshness never became " << state << ": " << status.json.dump();
    return status;
  }

  static std::string NativeBackup() {
    auto run = Hs({"backup", "--method", "native", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto summary = nlohmann::json::parse(run.out.substr(run.out.rfind("{\"")), nullptr, false);
    return summary.is_object() ? summary.value("snapshot_id", "") : "";
  }

  static SandboxCluster* pg_;
  static RestTestServer* server_;
  static HastewardEnv* hs_;
  static std::string suite_error_;
};

SandboxCluster* StandbyStatusTest::pg_ = nullptr;
RestTestServer* StandbyStatusTest::server_ = nullptr;
HastewardEnv* StandbyStatusTest::hs_ = nullptr;
std::string StandbyStatusTest::suite_error_;

TEST_F(StandbyStatusTest, AWrongPasswordIsBucketReadableFalseWithTheReason) {
  Status status = StandbyStatus(Declaration(hs_->Path("wrong-password"), "1h"));
  EXPECT_EQ(status.exit_code, 12) << status.json.dump();
  EXPECT_EQ(Condition(status, "BucketReadable").value("status", ""), "False");
  EXPECT_EQ(Condition(status, "BucketReadable").value("reason", ""), "WrongPassword");
  EXPECT_EQ(Condition(status, "Stale").value("status", ""), "Unknown");
}

TEST_F(StandbyStatusTest, FindsTheNewestBackupAndAnIdleSourceIsNotStale) {
  Sql("CREATE TABLE orders (id serial PRIMARY KEY, note text)");
  auto dump = Hs({"backup"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  std::string native = NativeBackup();
  ASSERT_FALSE(native.empty());
  // The backup's stop segment is archived after it ended; nothing is written after that.
  Status status = WaitForFreshness(Declaration(hs_->Path("standby-password"), "1h"), "SourceIdle");
  const nlohmann::json& newest = status.json["discovered"]["newestBackup"];
  EXPECT_EQ(newest.value("id", ""), native);
  EXPECT_TRUE(newest.value("endRecorded", false));
  // The dump is counted apart: an activation restores native bases only (issue finding 4).
  EXPECT_EQ(status.json["discovered"].value("backups", 0), 1);
  EXPECT_EQ(status.json["discovered"].value("logicalBackups", 0), 1);
  EXPECT_EQ(newest.value("endSegment", ""),
            status.json["discovered"]["archive"].value("lastSegment", "?"));
  EXPECT_EQ(Condition(status, "BucketReadable").value("status", ""), "True");
  EXPECT_EQ(Condition(status, "SourceConfigKnown").value("status", ""), "True");
  EXPECT_EQ(Condition(status, "Stale").value("status", ""), "False");
  EXPECT_EQ(Condition(status, "Fresh").value("status", ""), "True");
  // No verification of it yet: not Restorable, so the exit code says degraded.
  EXPECT_EQ(Condition(status, "Restorable").value("reason", ""), "NotYetVerified");
  // The REST protocol has no place for a cursor: the standby says so instead of failing.
  EXPECT_FALSE(status.json["cursor"].value("written", true));
  EXPECT_NE(status.json["cursor"].value("error", "").find("cannot store a standby cursor"),
            std::string::npos)
      << status.json["cursor"];
  EXPECT_EQ(status.exit_code, 4);
}

TEST_F(StandbyStatusTest, StaleWhenArchivingStoppedPastTheBound) {
  // The server's archive_command now fails (its password no longer opens the repository); the
  // source keeps writing, and a native backup (which does not wait for the archive) proves it.
  WriteFile(ServerPasswordFile(), "broken\n");
  Sql("INSERT INTO orders (note) SELECT 'row ' || g FROM generate_series(1, 1000) g");
  Sql("SELECT pg_switch_wal()");
  std::string native = NativeBackup();
  ASSERT_FALSE(native.empty());
  Status within = StandbyStatus(Declaration(hs_->Path("standby-password"), "1h"));
  EXPECT_EQ(within.json["freshness"].value("state", ""), "ArchiveCatchingUp") << within.json;
  EXPECT_EQ(Condition(within, "Stale").value("status", ""), "False");
  EXPECT_GT(within.json["freshness"].value("backlogSegments", 0), 0);
  // Pacing: the archive must fall behind the 2 s freshness bound on purpose.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  Status past = StandbyStatus(Declaration(hs_->Path("standby-password"), "2s"));
  EXPECT_EQ(Condition(past, "Stale").value("status", ""), "True") << past.json;
  EXPECT_EQ(Condition(past, "Stale").value("reason", ""), "ArchiveBehind");
  EXPECT_EQ(Condition(past, "Fresh").value("status", ""), "False");
  EXPECT_EQ(past.json["discovered"]["newestBackup"].value("id", ""), native);
  EXPECT_EQ(past.exit_code, 4);
  WriteFile(ServerPasswordFile(), std::string(kPassword) + "\n");
}

}  // namespace
}  // namespace hasteward::testing
