// Issue 11 defect c on real sandbox clusters, driving the hasteward binary: a MariaDB / Galera
// backup carries its users and grants, so a restore into a FRESH cluster (another sandbox with
// the same name, as after a disaster) lets the application log in and read its tables; what
// happens to accounts the target already has follows --users (create-missing, replace, skip);
// the account HASteward connects as is never touched; export leaves accounts out by default.
#include <gtest/gtest.h>

#include "support/cluster_env.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {
namespace {

using platform::EngineKind;

class RestoreUsersTest : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    source_ = Make();
    ASSERT_NE(source_, nullptr);
  }

  std::unique_ptr<SandboxCluster> Make() {
    auto c = SandboxCluster::Create({.engine = GetParam(),
                                     .instances = 1,
                                     .replication_mode = "async",
                                     .name = "accounts",
                                     .ns = "ut"});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // `hasteward <verb> -e -c accounts -n ut <args...>` on cluster `on` (each sandbox has its own
  // inventory and state dir; the repository is shared).
  CmdResult Hs(const SandboxCluster& on, const std::string& verb,
               std::vector<std::string> args = {}) {
    args.insert(args.begin(), verb);
    return ClusterEnv::On(hs_, on, platform::EngineKindName(GetParam())).Hs(std::move(args));
  }

  void Admin(const SandboxCluster& on, const std::string& sql) { SqlOn(on, sql); }

  // Logs in to instance 0 of `on` as `user` and runs `sql`; the client's exit code and output.
  static CmdResult As(const SandboxCluster& on, const std::string& user,
                      const std::string& password, const std::string& sql) {
    return RunCommand({"mariadb", "--no-defaults", "-h", "127.0.0.1", "-P",
                       std::to_string(on.instance(0).port), "-u", user, "-N", "-B", "-e", sql},
                      {{"MYSQL_PWD", password}});
  }

  HastewardEnv hs_{"hs-users-", "users-test"};
  std::unique_ptr<SandboxCluster> source_;
};

constexpr char kCount[] = "SELECT count(*) FROM app.t";

TEST_P(RestoreUsersTest, FreshClusterGetsTheApplicationAccountsExistingOnesFollowTheFlag) {
  Admin(*source_,
        "CREATE DATABASE app; USE app; CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB; "
        "INSERT INTO t SELECT seq FROM seq_1_to_50; "
        "CREATE USER 'appuser'@'%' IDENTIFIED BY 'app-pw-1'; "
        "GRANT SELECT, INSERT ON app.* TO 'appuser'@'%'; "
        "CREATE USER 'keeper'@'%' IDENTIFIED BY 'keeper-old'; "
        "GRANT SELECT ON app.* TO 'keeper'@'%';");
  ASSERT_EQ(As(*source_, "appuser", "app-pw-1", kCount).out, "50\n");
  ASSERT_EQ(Hs(*source_, "repo", {"init"}).exit_code, 0);
  auto backup = Hs(*source_, "backup");
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  source_.reset();  // the disaster: the source cluster is gone

  auto fresh = Make();
  ASSERT_NE(fresh, nullptr);
  // An account the new cluster already has, with another password and no grants.
  Admin(*fresh, "CREATE USER 'keeper'@'%' IDENTIFIED BY 'keeper-new';");

  auto restored = Hs(*fresh, "restore");  // default: --users create-missing
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  auto app = As(*fresh, "appuser", "app-pw-1", kCount);
  EXPECT_EQ(app.exit_code, 0) << app.err;
  EXPECT_EQ(app.out, "50\n");
  EXPECT_EQ(As(*fresh, "appuser", "app-pw-1", "INSERT INTO app.t VALUES (51)").exit_code, 0);
  // The existing account is left exactly as it was: new password, no grants.
  EXPECT_NE(As(*fresh, "keeper", "keeper-old", "SELECT 1").exit_code, 0);
  EXPECT_EQ(As(*fresh, "keeper", "keeper-new", "SELECT 1").exit_code, 0);
  EXPECT_NE(As(*fresh, "keeper", "keeper-new", kCount).exit_code, 0);
  // The account HASteward connects as still works (every later command uses it).
  EXPECT_EQ(Hs(*fresh, "triage").exit_code, 0);

  // replace: the dump's password and grants for every account in it.
  auto replaced = Hs(*fresh, "restore", {"--confirm-overwrite", "--users", "replace"});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.out << replaced.err;
  EXPECT_EQ(As(*fresh, "keeper", "keeper-old", kCount).out, "50\n");
  EXPECT_NE(As(*fresh, "keeper", "keeper-new", "SELECT 1").exit_code, 0);
  EXPECT_EQ(Hs(*fresh, "triage").exit_code, 0);

  // skip: no account is created.
  Admin(*fresh, "DROP USER 'appuser'@'%';");
  auto skipped = Hs(*fresh, "restore", {"--confirm-overwrite", "--users", "skip"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.out << skipped.err;
  EXPECT_NE(As(*fresh, "appuser", "app-pw-1", "SELECT 1").exit_code, 0);
  auto bad = Hs(*fresh, "restore", {"--confirm-overwrite", "--users", "everything"});
  EXPECT_NE(bad.exit_code, 0);

  // export: accounts left out unless asked for.
  auto plain = Hs(*fresh, "export", {"-o", "-"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("CREATE USER"), std::string::npos);
  EXPECT_NE(plain.out.find("-- Dump completed"), std::string::npos);
  auto full = Hs(*fresh, "export", {"-o", "-", "--users", "include"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find("CREATE USER `appuser`@`%`"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, RestoreUsersTest,
                         ::testing::Values(EngineKind::kMariadb, EngineKind::kGalera),
                         [](const auto& test_info) {
                           return platform::EngineKindName(test_info.param);
                         });

}  // namespace
}  // namespace hasteward::testing
