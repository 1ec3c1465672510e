// `hasteward reconfigure -e cnpg` on a real PostgreSQL 15 sandbox (a primary and two streaming
// standbys), driving the binary: a setting applied at runtime on every instance survives kill -9
// of the postmaster and a restart; injection attempts in names and values are refused with every
// postgresql.auto.conf untouched (bytes and mtime); an unchanged value does not rewrite the file;
// a postmaster-context setting is refused without --restart and applied with it by a rolling
// restart; --replication-mode semisync / async switches synchronous_standby_names with triage
// staying healthy; --dry-run changes nothing.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "support/command.h"
#include "support/file_state.h"
#include "support/hasteward_env.h"
#include "support/postgres_crash.h"
#include "support/sandbox_cluster.h"
#include "support/trim.h"

namespace hasteward::testing {
namespace {

using platform::EngineKind;

constexpr int kUsageExit = 2;  // docs/exit-codes.md
constexpr int kInstances = 3;

class PostgresReconfigureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cluster = SandboxCluster::Create(
        {.engine = EngineKind::kPostgres, .instances = kInstances, .name = "pgrc", .ns = "pgrc"});
    // Not an assertion here: gtest reports every test of a suite whose SetUpTestSuite failed as
    // "[  SKIPPED ]", and ctest counts that as skipped, not failed. SetUp fails each test instead.
    if (!cluster.ok()) {
      suite_error_ = cluster.status().ToString();
      return;
    }
    sc_ = std::move(*cluster).release();
    HastewardEnv::Options options;
    options.temp_prefix = "hs-pgreconf-";
    options.state_dir = sc_->state_dir();
    options.inventory = sc_->inventory_path();
    options.repository = sc_->state_dir() + "/../repo";
    hs_ = new HastewardEnv(options);
  }
  void SetUp() override {
    ASSERT_NE(sc_, nullptr) << "the suite's sandbox did not start: " << suite_error_;
    ASSERT_TRUE(WaitHealthy()) << "the cluster is not healthy before the test";
  }
  static void TearDownTestSuite() {
    delete hs_;
    delete sc_;
    hs_ = nullptr;
    sc_ = nullptr;
  }

  // <verb> -e cnpg -c pgrc -n pgrc <args...>
  static CmdResult On(const std::string& verb, std::vector<std::string> args = {}) {
    std::vector<std::string> all = {verb, "-e", "cnpg", "-c", "pgrc", "-n", "pgrc"};
    all.insert(all.end(), args.begin(), args.end());
    return hs_->Run(all);
  }
  static CmdResult Reconfigure(std::vector<std::string> args) {
    return On("reconfigure", std::move(args));
  }
  // The value instance `ordinal` runs `setting` with, seen by a new session.
  static std::string Value(int ordinal, const std::string& setting) {
    auto out = sc_->Sql(ordinal, "SHOW " + setting + ";");
    return out.ok() ? Trim(*out) : "ERROR " + out.status().ToString();
  }
  static std::string AutoConfPath(int ordinal) {
    return sc_->instance(ordinal).data_dir + "/postgresql.auto.conf";
  }
  // Every file reconfigure may write and every setting the tests change, on every instance.
  static std::vector<std::string> Everything() {
    std::vector<std::string> out;
    for (int n = 0; n < kInstances; ++n) {
      FileState state = StateOf(AutoConfPath(n));
      out.push_back(AutoConfPath(n) + " " + std::to_string(state.exists) + " " +
                    std::to_string(state.mtime_ns) + "\n" + state.bytes);
      for (const char* setting :
           {"work_mem", "max_connections", "synchronous_standby_names", "log_line_prefix"})
        out.push_back(std::to_string(n) + " " + setting + "=" + Value(n, setting));
    }
    return out;
  }
  // Polls triage (60 s) until the cluster is healthy (exit 0).
  static bool WaitHealthy() {
    for (int tries = 0; tries < 120; ++tries) {
      if (On("triage").exit_code == 0)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }
  static void KillAndStart(int ordinal) {
    ASSERT_TRUE(KillPostgresHard(sc_->instance(ordinal)).ok());
    auto start =
        hs_->Run({"instance", "start", "-c", "pgrc", "-n", "pgrc", "-i", std::to_string(ordinal)});
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  }

  inline static std::string suite_error_;
  inline static SandboxCluster* sc_ = nullptr;
  inline static HastewardEnv* hs_ = nullptr;
};

TEST_F(PostgresReconfigureTest, InjectionInNamesAndValuesIsRefusedWithNothingChanged) {
  ASSERT_EQ(Reconfigure({"--set", "work_mem=5MB"}).exit_code, 0);
  auto before = Everything();
  for (const char* attempt :
       {"work_mem\nfsync=off=1", "work_mem=5MB\nfsync = off", "work_mem='; DROP TABLE x; --",
        "work_mem=1'; DROP TABLE x; --", "work_mem=6MB # x", "work_mem#x=6MB",
        "work_mem=\n[section]", "\n[section]=1", "name with space=1", "work mem=6MB",
        "work_mem;=6MB", "work_mem'=6MB", "work_mem=6MB\r", "work_mem=\x01", "log_line_prefix=x\ny",
        "log_line_prefix=\x1b[31m", "no_such_setting=1"}) {
    auto refused = Reconfigure({"--set", attempt});
    EXPECT_EQ(refused.exit_code, kUsageExit) << attempt << ": " << refused.out << refused.err;
  }
  EXPECT_EQ(Everything(), before);
  EXPECT_EQ(Value(0, "work_mem"), "5MB");
}

TEST_F(PostgresReconfigureTest, QuotesInAStringValueAreStoredAsTheValue) {
  ASSERT_EQ(sc_->Sql(0, "CREATE TABLE IF NOT EXISTS canary (id int);").status().ToString(),
            core::Status::Ok().ToString());
  std::string before = Value(0, "log_line_prefix");
  std::string value = "x'; DROP TABLE canary; -- \\ # [%p] ";
  auto set = Reconfigure({"--set", "log_line_prefix=" + value});
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
  for (int n = 0; n < kInstances; ++n)
    EXPECT_EQ(Value(n, "log_line_prefix") + " ", value) << n;  // Trim took the last space
  EXPECT_EQ(Trim(*sc_->Sql(0, "SELECT count(*) FROM pg_class WHERE relname = 'canary';")), "1");
  ASSERT_EQ(Reconfigure({"--set", "log_line_prefix=" + before + " "}).exit_code, 0);
}

TEST_F(PostgresReconfigureTest, UnchangedValueDoesNotRewriteAndStaticNeedsRestart) {
  ASSERT_EQ(Reconfigure({"--set", "work_mem=7MB"}).exit_code, 0);
  auto before = Everything();
  auto again = Reconfigure({"--set", "work_mem=7168kB"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to change"), std::string::npos) << again.out;
  EXPECT_EQ(Everything(), before);
  auto refused = Reconfigure({"--set", "max_connections=70"});
  EXPECT_EQ(refused.exit_code, kUsageExit) << refused.err;
  EXPECT_NE(refused.err.find("static variable, needs --restart"), std::string::npos) << refused.err;
  EXPECT_EQ(Everything(), before);
  auto restarted = Reconfigure({"--set", "max_connections=70", "--restart"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.out << restarted.err;
  EXPECT_NE(restarted.err.find("restarting"), std::string::npos) << restarted.err;
  for (int n = 0; n < kInstances; ++n)
    EXPECT_EQ(Value(n, "max_connections"), "70") << n;
  EXPECT_TRUE(WaitHealthy());
  // Lowering a hot-standby limit takes the primary first; every standby must still run after it.
  auto lowered = Reconfigure({"--set", "max_connections=60", "--restart"});
  ASSERT_EQ(lowered.exit_code, 0) << lowered.out << lowered.err;
  EXPECT_NE(lowered.out.find("rolling restart: the primary first"), std::string::npos)
      << lowered.out;
  for (int n = 0; n < kInstances; ++n)
    EXPECT_EQ(Value(n, "max_connections"), "60") << n;
  EXPECT_TRUE(WaitHealthy());
}

TEST_F(PostgresReconfigureTest, ReplicationModeSemisyncThenAsyncKeepsTriageHealthy) {
  auto semisync = Reconfigure({"--replication-mode", "semisync"});
  ASSERT_EQ(semisync.exit_code, 0) << semisync.out << semisync.err;
  for (int n = 0; n < kInstances; ++n)
    EXPECT_EQ(Value(n, "synchronous_standby_names"), "ANY 1 (*)") << n;
  EXPECT_EQ(On("triage").exit_code, 0);
  ASSERT_EQ(sc_->Sql(0,
                     "CREATE TABLE IF NOT EXISTS synced (id int); INSERT INTO synced "
                     "VALUES (1);")
                .status()
                .ToString(),
            core::Status::Ok().ToString())
      << "a commit must not hang with a synchronous standby streaming";
  auto conflict =
      Reconfigure({"--replication-mode", "async", "--set", "synchronous_standby_names=*"});
  EXPECT_EQ(conflict.exit_code, kUsageExit) << conflict.err;
  EXPECT_NE(conflict.err.find("contradicts the replication mode"), std::string::npos);
  auto wait_point =
      Reconfigure({"--replication-mode", "semisync", "--semisync-wait-point", "after_sync"});
  EXPECT_EQ(wait_point.exit_code, kUsageExit) << wait_point.err;
  auto async = Reconfigure({"--replication-mode", "async"});
  ASSERT_EQ(async.exit_code, 0) << async.out << async.err;
  for (int n = 0; n < kInstances; ++n)
    EXPECT_EQ(Value(n, "synchronous_standby_names"), "") << n;
  EXPECT_EQ(On("triage").exit_code, 0);
}

TEST_F(PostgresReconfigureTest, FailureOnTheLastInstancePutsBackTheEarlierOnes) {
  ASSERT_EQ(Reconfigure({"--set", "work_mem=5MB"}).exit_code, 0);
  // Standbys change first, the primary last. A directory where ALTER SYSTEM writes its temporary
  // file makes the primary's write fail after both standbys were written.
  std::string blocker = sc_->instance(0).data_dir + "/postgresql.auto.conf.tmp";
  ASSERT_EQ(::mkdir(blocker.c_str(), 0700), 0);
  auto contents = [] {
    std::vector<std::string> out;
    for (int n = 0; n < kInstances; ++n) {
      out.push_back(StateOf(AutoConfPath(n)).bytes);
      out.push_back(Value(n, "work_mem") + " " + Value(n, "log_line_prefix"));
    }
    return out;
  };
  auto before = contents();
  auto failed = Reconfigure({"--set", "work_mem=11MB", "--set", "log_line_prefix=%m x "});
  ::rmdir(blocker.c_str());
  EXPECT_NE(failed.exit_code, 0) << failed.out << failed.err;
  EXPECT_NE(failed.err.find("put back"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("ALTER SYSTEM SET"), std::string::npos) << failed.err;
  EXPECT_EQ(contents(), before);
}

TEST_F(PostgresReconfigureTest, DryRunChangesNothing) {
  ASSERT_EQ(Reconfigure({"--set", "work_mem=9MB"}).exit_code, 0);
  auto before = Everything();
  auto dry = Reconfigure({"--set", "work_mem=10MB", "--set", "max_connections=80", "--restart",
                          "--replication-mode", "semisync", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("work_mem"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("dry-run: nothing changed"), std::string::npos) << dry.out;
  EXPECT_EQ(Everything(), before);
}

// Last: kills servers.
TEST_F(PostgresReconfigureTest, ZzRuntimeValueOnEveryInstanceSurvivesKill9AndRestart) {
  auto set = Reconfigure({"--set", "work_mem=8MB"});
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
  for (int n = 0; n < kInstances; ++n)
    EXPECT_EQ(Value(n, "work_mem"), "8MB") << n;  // at runtime: no restart happened
  EXPECT_EQ(set.err.find("restarting"), std::string::npos) << set.err;
  KillAndStart(1);
  KillAndStart(0);
  for (int n = 0; n < kInstances; ++n)
    EXPECT_EQ(Value(n, "work_mem"), "8MB") << n;
  EXPECT_TRUE(WaitHealthy());
}

}  // namespace
}  // namespace hasteward::testing
