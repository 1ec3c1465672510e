#include "engine/engine.h"

#include <gtest/gtest.h>

#include "engine/client_tools.h"
#include "engine/mariadb/mariadb_engine.h"
#include "engine/postgres/postgres_engine.h"

namespace hasteward::engine {
namespace {

TEST(EngineTest, MakeEngineMapsEveryKind) {
  for (auto kind : {EngineKind::kPostgres, EngineKind::kMariadb, EngineKind::kGalera}) {
    auto e = MakeEngine(kind);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ((*e)->kind(), kind);
    EXPECT_STREQ((*e)->DumpFileName(), DumpFileName(kind));
  }
  EXPECT_STREQ(DumpFileName(EngineKind::kPostgres), "pgdumpall.sql");
  EXPECT_STREQ(DumpFileName(EngineKind::kGalera), "mysqldump.sql");
  EXPECT_STREQ(DumpFileName(EngineKind::kMariadb), "mysqldump.sql");
}

TEST(EngineTest, MakeEngineRejectsOutOfRangeKind) {
  auto e = MakeEngine(static_cast<EngineKind>(99));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), core::ErrorCode::kInternal);
}

TEST(EngineTest, EngineNamesParseToEngines) {
  for (const char* name : {"cnpg", "postgres", "mariadb", "galera"}) {
    auto kind = platform::ParseEngineKind(name);
    ASSERT_TRUE(kind.ok()) << name;
    EXPECT_TRUE(MakeEngine(*kind).ok());
  }
}

TEST(ClientToolsTest, PgPassLineEscapesSeparators) {
  EXPECT_EQ(PgPassLine("postgres", "a:b\\c"), "*:*:*:postgres:a\\:b\\\\c\n");
}

TEST(ClientToolsTest, MyCnfQuotesPassword) {
  EXPECT_EQ(MyCnfContent("root", "p\"w\\d #x"),
            "[client]\nuser=\"root\"\npassword=\"p\\\"w\\\\d #x\"\n");
}

TEST(ClientToolsTest, SecretFileIsPrivate) {
  auto dir = SecretDir::Create();
  ASSERT_TRUE(dir.ok());
  auto path = dir->WriteFile("pgpass", "x");
  ASSERT_TRUE(path.ok());
  struct stat st {};
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);
}

TEST(ClientToolsTest, SecretDirIsRemovedWithItsOwner) {
  std::string path;
  {
    auto dir = SecretDir::Create();
    ASSERT_TRUE(dir.ok());
    path = dir->path();
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

TEST(MariadbDumpTest, FlagsRecordGtidPositionFromBinlogOrReplica) {
  BackupPlan plan;
  plan.role = "primary";
  plan.metadata["log_bin"] = "ON";
  auto flags = mariadb::MariadbDumpFlags(plan);
  for (const char* f : {"--single-transaction", "--routines", "--events", "--triggers",
                        "--hex-blob", "--master-data=2", "--gtid", "--all-databases"}) {
    EXPECT_NE(std::find(flags.begin(), flags.end(), f), flags.end()) << f;
  }
  plan.role = "replica";
  plan.metadata["log_bin"] = "OFF";
  flags = mariadb::MariadbDumpFlags(plan);
  EXPECT_NE(std::find(flags.begin(), flags.end(), "--dump-slave=2"), flags.end());
  plan.role = "galera-node";
  flags = mariadb::MariadbDumpFlags(plan);
  EXPECT_EQ(std::find(flags.begin(), flags.end(), "--gtid"), flags.end());
}

TEST(MariadbDumpTest, ParsesGtidAndBinlogPosition) {
  std::string head =
      "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=791;\n";
  std::string tail = "-- SET GLOBAL gtid_slave_pos='0-1-12,1-2-3';\n-- Dump completed on x\n";
  auto md = mariadb::ParseMariadbDumpMetadata(head, tail);
  EXPECT_EQ(md["gtid_position"], "0-1-12,1-2-3");
  EXPECT_EQ(md["binlog_file"], "mysql-bin.000003");
  EXPECT_EQ(md["binlog_pos"], "791");
}

SqlRows ReplicaRows(const std::string& io, const std::string& sql, std::optional<std::string> lag) {
  SqlRows rows;
  rows.columns = {"Connection_name",       "Slave_IO_Running", "Slave_SQL_Running",
                  "Seconds_Behind_Master", "Last_IO_Error",    "Last_SQL_Error"};
  rows.rows.push_back({"", io, sql, std::move(lag), "", "Duplicate entry"});
  return rows;
}

TEST(MariadbReplicaTest, HealthyNeedsBothThreadsAndSmallLag) {
  std::string why;
  int lag = -1;
  EXPECT_TRUE(mariadb::ReplicaHealthy(ReplicaRows("Yes", "Yes", "0"), 10, &why, &lag));
  EXPECT_EQ(lag, 0);
  EXPECT_FALSE(mariadb::ReplicaHealthy(ReplicaRows("Yes", "No", "0"), 10, &why, &lag));
  EXPECT_NE(why.find("SQL thread"), std::string::npos);
  EXPECT_NE(why.find("Duplicate entry"), std::string::npos);
  EXPECT_FALSE(
      mariadb::ReplicaHealthy(ReplicaRows("Connecting", "Yes", std::nullopt), 10, &why, &lag));
  EXPECT_NE(why.find("IO thread"), std::string::npos);
  EXPECT_FALSE(mariadb::ReplicaHealthy(ReplicaRows("Yes", "Yes", "11"), 10, &why, &lag));
  EXPECT_NE(why.find("lag 11"), std::string::npos);
  EXPECT_FALSE(mariadb::ReplicaHealthy(ReplicaRows("Yes", "Yes", std::nullopt), 10, &why, &lag));
  EXPECT_FALSE(mariadb::ReplicaHealthy(SqlRows{}, 10, &why, &lag));
}

TEST(GaleraTest, SyncedNeedsPrimaryComponentSyncedAndReady) {
  mariadb::InstanceProbe p;
  p.vars = {{"wsrep_cluster_status", "Primary"},
            {"wsrep_local_state_comment", "Synced"},
            {"wsrep_ready", "ON"}};
  std::string why;
  EXPECT_TRUE(mariadb::GaleraSynced(p, &why));
  p.vars["wsrep_local_state_comment"] = "Donor/Desynced";
  EXPECT_FALSE(mariadb::GaleraSynced(p, &why));
  EXPECT_NE(why.find("Donor/Desynced"), std::string::npos);
  p.vars["wsrep_local_state_comment"] = "Synced";
  p.vars["wsrep_cluster_status"] = "non-Primary";
  EXPECT_FALSE(mariadb::GaleraSynced(p, &why));
  p.vars.erase("wsrep_cluster_status");
  EXPECT_FALSE(mariadb::GaleraSynced(p, &why));
}

}  // namespace
}  // namespace hasteward::engine
