#include "platform/local/engine_profile.h"

#include <gtest/gtest.h>

namespace hasteward::platform {
namespace {

constexpr EngineKind kAllEngines[] = {EngineKind::kPostgres, EngineKind::kMariadb,
                                      EngineKind::kGalera};

TEST(LocalEngineProfileTest, EveryEngineHasItsOwnCompleteRow) {
  for (EngineKind engine : kAllEngines) {
    const LocalEngineProfile& p = LocalProfile(engine);
    EXPECT_EQ(p.engine, engine) << EngineKindName(engine) << " fell back to another row";
    EXPECT_NE(p.server_os_user, nullptr);
    EXPECT_NE(p.default_start_command, nullptr);
    EXPECT_NE(p.default_stop_command, nullptr);
    EXPECT_NE(p.pid_file, nullptr);
    EXPECT_NE(p.build_sandbox, nullptr);
  }
}

TEST(LocalEngineProfileTest, PostgresRunsUnderPgCtlFromItsBinDir) {
  Instance i;
  i.data_dir = "/d";
  i.bin_dir = "/usr/lib/postgresql/15/bin";
  i.log_file = "/l/pg.log";
  const auto& p = LocalProfile(EngineKind::kPostgres);
  EXPECT_EQ(std::string(p.server_os_user), "postgres");
  auto start = p.default_start_command(i);
  ASSERT_FALSE(start.empty());
  EXPECT_EQ(start[0], "/usr/lib/postgresql/15/bin/pg_ctl");
  EXPECT_EQ(start.back(), "start");
  EXPECT_EQ(p.pid_file(i), "/d/postmaster.pid");
}

TEST(LocalEngineProfileTest, MariadbFamilyUsesTheConfigsPidFile) {
  Instance i;
  i.data_dir = "/d";
  i.config_file = "/nonexistent/my.cnf";
  for (EngineKind engine : {EngineKind::kMariadb, EngineKind::kGalera}) {
    const auto& p = LocalProfile(engine);
    EXPECT_EQ(std::string(p.server_os_user), "mysql");
    EXPECT_EQ(p.pid_file(i), "/d/mariadbd.pid") << "no config: the default pid file";
    auto start = p.default_start_command(i);
    EXPECT_EQ(start.back(), "--defaults-file=/nonexistent/my.cnf");
  }
  EXPECT_TRUE(LocalProfile(EngineKind::kMariadb).has_replication_mode);
  EXPECT_FALSE(LocalProfile(EngineKind::kGalera).has_replication_mode);
  EXPECT_FALSE(LocalProfile(EngineKind::kPostgres).has_replication_mode);
}

}  // namespace
}  // namespace hasteward::platform
