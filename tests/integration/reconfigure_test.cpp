// `hasteward reconfigure` on a real MariaDB replication sandbox, driving the binary: the
// replication mode async -> semisync -> async with triage agreeing each time; a request that
// contradicts itself, injection attempts in names and values and a static variable without
// --restart are refused with the runtime values and the override file untouched (bytes and mtime);
// an unchanged value does not rewrite the file; values survive kill -9 and a restart of mariadbd;
// --restart restarts every instance to apply a static variable.
#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "support/command.h"
#include "support/file_state.h"
#include "support/hasteward_env.h"
#include "support/postgres_crash.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {
namespace {

using platform::EngineKind;

class ReconfigureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cluster = SandboxCluster::Create({.engine = EngineKind::kMariadb,
                                           .instances = 3,
                                           .replication_mode = "async",
                                           .name = "",
                                           .ns = "rc"});
    // Not an assertion here: gtest reports every test of a suite whose SetUpTestSuite failed as
    // "[  SKIPPED ]", and ctest counts that as skipped, not failed. SetUp fails each test instead.
    if (!cluster.ok()) {
      suite_error_ = cluster.status().ToString();
      return;
    }
    sc_ = std::move(*cluster).release();
    HastewardEnv::Options options;
    options.temp_prefix = "hs-reconf-";
    options.state_dir = sc_->state_dir();
    options.inventory = sc_->inventory_path();
    options.repository = sc_->state_dir() + "/../repo";
    hs_ = new HastewardEnv(options);
  }
  void SetUp() override {
    ASSERT_NE(sc_, nullptr) << "the suite's sandbox did not start: " << suite_error_;
  }
  static void TearDownTestSuite() {
    delete hs_;
    delete sc_;
  }

  // <verb> -e mariadb -c <name> -n rc <args...>
  static CmdResult On(const std::string& verb, std::vector<std::string> args = {}) {
    std::vector<std::string> all = {verb, "-e", "mariadb", "-c", sc_->cluster().name, "-n", "rc"};
    all.insert(all.end(), args.begin(), args.end());
    return hs_->Run(all);
  }
  static std::string Value(int ordinal, const std::string& variable) {
    auto out = sc_->Sql(ordinal, "SELECT @@global." + variable + ";");
    std::string text = out.ok() ? *out : "ERROR " + out.status().ToString();
    while (!text.empty() && text.back() == '\n')
      text.pop_back();
    return text;
  }
  static std::string OverridePath(int ordinal) {
    const std::string& config = sc_->instance(ordinal).config_file;
    return config.substr(0, config.rfind('/')) + "/hasteward-overrides.cnf";
  }
  // Every file reconfigure may write, and every semi-sync value, on every instance.
  static std::vector<std::string> Everything() {
    std::vector<std::string> out;
    for (int n = 0; n < 3; ++n) {
      for (const auto& path : {OverridePath(n), sc_->instance(n).config_file}) {
        FileState state = StateOf(path);
        out.push_back(path + " " + std::to_string(state.exists) + " " +
                      std::to_string(state.mtime_ns) + " " + Sha256String(state.bytes));
      }
      for (const char* variable :
           {"rpl_semi_sync_master_enabled", "rpl_semi_sync_slave_enabled",
            "rpl_semi_sync_master_wait_point", "max_connections", "back_log"})
        out.push_back(std::to_string(n) + " " + variable + "=" + Value(n, variable));
    }
    return out;
  }
  // Triage as JSON; every instance's semi-sync config check must be `check`.
  static void ExpectTriageAgrees() {
    auto triage = On("triage", {"--json"});
    ASSERT_EQ(triage.exit_code, 0) << triage.out << triage.err;
    auto report = nlohmann::json::parse(triage.out);
    for (const auto& instance : report["instances"])
      EXPECT_EQ(instance["facts"].value("semisync_config", ""), "agree") << instance.dump();
  }
  // Polls triage (30 s) until the cluster is healthy again after a restart.
  static void WaitHealthy() {
    core::PollUntil([] { return On("triage").exit_code == 0; }, std::chrono::seconds(30),
                    std::chrono::milliseconds(500));
  }
  static void KillAndStart(int ordinal) {
    const std::string& config = sc_->instance(ordinal).config_file;
    auto pid = core::ReadFileToString(config.substr(0, config.rfind('/')) + "/mariadbd.pid");
    ASSERT_TRUE(pid.ok());
    // Reaped before the start: a fresh Debian root's CI saw the restarted server never come up
    // when started while the killed one still held its pid (and its files' locks).
    core::Status killed = KillServerHard(std::stoi(*pid), sc_->instance(ordinal).name);
    ASSERT_TRUE(killed.ok()) << killed.ToString();
    auto start = hs_->Run({"instance", "start", "-c", sc_->cluster().name, "-n", "rc", "-i",
                           std::to_string(ordinal)});
    ASSERT_EQ(start.exit_code, 0) << start.err;
  }

  inline static std::string suite_error_;
  static SandboxCluster* sc_;
  static HastewardEnv* hs_;
};

SandboxCluster* ReconfigureTest::sc_ = nullptr;
HastewardEnv* ReconfigureTest::hs_ = nullptr;

TEST_F(ReconfigureTest, ModeAsyncSemisyncAsyncWithTriageAgreeing) {
  ExpectTriageAgrees();
  auto semisync = On("reconfigure", {"--replication-mode", "semisync"});
  ASSERT_EQ(semisync.exit_code, 0) << semisync.out << semisync.err;
  EXPECT_EQ(Value(0, "rpl_semi_sync_master_enabled"), "1");
  EXPECT_EQ(Value(0, "rpl_semi_sync_master_wait_point"), "AFTER_SYNC");
  EXPECT_EQ(Value(1, "rpl_semi_sync_slave_enabled"), "1");
  EXPECT_EQ(Value(2, "rpl_semi_sync_slave_enabled"), "1");
  ExpectTriageAgrees();
  auto async = On("reconfigure", {"--replication-mode", "async"});
  ASSERT_EQ(async.exit_code, 0) << async.out << async.err;
  EXPECT_EQ(Value(0, "rpl_semi_sync_master_enabled"), "0");
  EXPECT_EQ(Value(2, "rpl_semi_sync_slave_enabled"), "0");
  ExpectTriageAgrees();
}

TEST_F(ReconfigureTest, RuntimeOnlyChangeIsADisagreeingTriage) {
  ASSERT_TRUE(sc_->Sql(1, "SET GLOBAL rpl_semi_sync_slave_enabled = ON;").ok());
  auto triage = On("triage", {"--json"});
  EXPECT_EQ(triage.exit_code, 4) << triage.out;
  auto report = nlohmann::json::parse(triage.out);
  EXPECT_EQ(report["instances"][1]["facts"].value("semisync_config", ""), "disagree") << triage.out;
  ASSERT_TRUE(sc_->Sql(1, "SET GLOBAL rpl_semi_sync_slave_enabled = OFF;").ok());
  ExpectTriageAgrees();
}

TEST_F(ReconfigureTest, ConflictingRequestIsRefusedWithNothingChanged) {
  ASSERT_EQ(On("reconfigure", {"--set", "max_connections=120"}).exit_code, 0);
  auto before = Everything();
  auto refused = On("reconfigure",
                    {"--replication-mode", "async", "--set", "rpl_semi_sync_master_enabled=ON"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("contradicts the replication mode"), std::string::npos) << refused.err;
  EXPECT_EQ(Everything(), before);
}

TEST_F(ReconfigureTest, InjectionInNamesAndValuesIsRefusedAndFileUnchanged) {
  ASSERT_EQ(On("reconfigure", {"--set", "max_connections=130"}).exit_code, 0);
  auto before = Everything();
  ASSERT_TRUE(StateOf(OverridePath(0)).exists);
  for (const char* attempt :
       {"max_connections\nread_only=1", "[mysqld]=1", "max_connections#x=1", "a;b=1",
        "max'connections=1", "max_connections=1\nread_only=OFF", "max_connections=131 # x",
        "max_connections=131;", "max_connections=[client]", "init_connect='x'",
        "init_connect=x\\'; DROP DATABASE mysql; --", "max_connections=1\r", "max_connections=\x01",
        "no_such_variable=1"}) {
    auto refused = On("reconfigure", {"--set", attempt});
    EXPECT_EQ(refused.exit_code, 2) << attempt << ": " << refused.err;
  }
  EXPECT_EQ(Everything(), before);
  EXPECT_EQ(Value(0, "max_connections"), "130");
}

TEST_F(ReconfigureTest, UnchangedValueDoesNotRewriteAndStaticNeedsRestart) {
  ASSERT_EQ(On("reconfigure", {"--set", "max_connections=140"}).exit_code, 0);
  auto before = Everything();
  auto again = On("reconfigure", {"--set", "max_connections=140"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to change"), std::string::npos) << again.out;
  EXPECT_EQ(Everything(), before);
  auto refused = On("reconfigure", {"--set", "back_log=77"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("static"), std::string::npos) << refused.err;
  EXPECT_EQ(Everything(), before);
  auto restarted = On("reconfigure", {"--set", "back_log=77", "--restart"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.out << restarted.err;
  for (int n = 0; n < 3; ++n)
    EXPECT_EQ(Value(n, "back_log"), "77") << n;
  ExpectTriageAgrees();
}

TEST_F(ReconfigureTest, DryRunChangesNothingAndAHandEditedFileIsRefusedUntouched) {
  ASSERT_EQ(On("reconfigure", {"--set", "max_connections=150"}).exit_code, 0);
  auto before = Everything();
  auto dry = On("reconfigure", {"--set", "max_connections=155", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("max_connections"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("dry-run: nothing changed"), std::string::npos) << dry.out;
  EXPECT_EQ(Everything(), before);
  // A line hasteward did not write: it refuses to rewrite the file (a safety stop, 24) and leaves
  // every file and value as it was.
  std::string saved = StateOf(OverridePath(1)).bytes;
  std::ofstream(OverridePath(1), std::ios::app) << "skip-grant-tables but not as we write it\n";
  auto edited = Everything();
  auto refused = On("reconfigure", {"--set", "max_connections=160"});
  EXPECT_EQ(refused.exit_code, 24) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("by hand"), std::string::npos) << refused.err;
  EXPECT_EQ(Everything(), edited);
  std::ofstream(OverridePath(1), std::ios::trunc) << saved;
}

// Last: kills servers.
TEST_F(ReconfigureTest, ZzValuesSurviveKill9AndRestart) {
  auto set = On("reconfigure", {"--replication-mode", "semisync", "--semisync-wait-point",
                                "after_sync", "--set", "max_connections=123"});
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
  KillAndStart(1);
  KillAndStart(0);
  EXPECT_EQ(Value(0, "max_connections"), "123");
  EXPECT_EQ(Value(0, "rpl_semi_sync_master_enabled"), "1");
  EXPECT_EQ(Value(0, "rpl_semi_sync_master_wait_point"), "AFTER_SYNC");
  EXPECT_EQ(Value(1, "max_connections"), "123");
  EXPECT_EQ(Value(1, "rpl_semi_sync_slave_enabled"), "1");
  WaitHealthy();  // the replicas reconnect to the restarted primary within their retry time
  ExpectTriageAgrees();
}

}  // namespace
}  // namespace hasteward::testing
