#include "engine/engine.h"

#include <fstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/temp_dir.h"
#include "engine/client_tools.h"
#include "engine/mariadb/mariadb_engine.h"
#include "engine/native_backup.h"
#include "engine/postgres/postgres_engine.h"
#include "platform/registry.h"

namespace hasteward::engine {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace engine_test {
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

// Every engine has native backups now; their data-file blocks are whole pages, and a block size
// that splits a page is refused before any tool starts or any server is contacted.
TEST(EngineTest, EveryEngineHasNativeBackupsInWholePages) {
  platform::PlatformOptions where;
  where.inventory_path = "/nonexistent/hasteward-inventory.yaml";
  auto local = platform::OpenPlatform(where);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  for (auto kind : {EngineKind::kPostgres, EngineKind::kMariadb, EngineKind::kGalera}) {
    auto e = MakeEngine(kind);
    ASSERT_TRUE(e.ok());
    NativeBackup* native = (*e)->native_backup();
    ASSERT_NE(native, nullptr) << platform::EngineKindName(kind);
    EXPECT_EQ(native->DefaultBlockSize() % native->PageSize(), 0u);
    platform::Cluster cluster;
    cluster.engine = kind;
    BackupPlan plan;
    plan.source.name = "db-0";
    plan.source.data_dir = "/nonexistent";
    auto opened = native->OpenNativeBackup(**local, cluster, plan, native->PageSize() + 512);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), core::ErrorCode::kUsage) << opened.status().ToString();
  }
  auto mariadb = MakeEngine(EngineKind::kMariadb);
  EXPECT_EQ((*mariadb)->native_backup()->PageSize(), 16384u);
}

// PostgreSQL data files go in 512 KiB blocks at zstd 3 unless the user chose a level: the
// measurement in docs/native-backups.md (a second backup after scattered updates stores what a
// whole-file stream does). MariaDB keeps the dump level, its backup being CPU-bound.
TEST(EngineTest, NativeDefaultsMatchTheMeasuredChoice) {
  auto pg = MakeEngine(EngineKind::kPostgres);
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ((*pg)->native_backup()->DefaultBlockSize(), size_t{512} * 1024);
  EXPECT_EQ((*pg)->native_backup()->DefaultCompressionLevel(), 3);
  for (auto kind : {EngineKind::kMariadb, EngineKind::kGalera}) {
    auto e = MakeEngine(kind);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ((*e)->native_backup()->DefaultCompressionLevel(), 1)
        << platform::EngineKindName(kind);
  }
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

// Secrets live in anonymous memory the tool opens as /dev/fd/N: nothing on disk for kill -9 to
// leave behind, yet libpq's and MariaDB's permission checks see a private regular file.
TEST(ClientToolsTest, SecretIsAPrivateInMemoryFile) {
  ToolSecrets secrets;
  auto path = secrets.Add("pgpass", "*:*:*:postgres:pw\n");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  ASSERT_EQ(path->rfind("/dev/fd/", 0), 0u) << *path;
  struct stat st {};
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  char target[256] = {};
  ASSERT_GT(::readlink(("/proc/self/fd/" + path->substr(8)).c_str(), target, sizeof(target) - 1),
            0);
  EXPECT_EQ(std::string(target).rfind("/memfd:", 0), 0u) << target;
  std::ifstream in(*path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "*:*:*:postgres:pw");
}

TEST(ClientToolsTest, SecretIsGoneWithItsOwner) {
  int fd = -1;
  {
    ToolSecrets secrets;
    ASSERT_TRUE(secrets.Add("client.cnf", "x").ok());
    fd = secrets.fds().at(0);
    EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC) << "only the tool inherits it";
  }
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
}

// A restore client that appends its input lines to `out` and ends only on "quit".
core::SubprocessOptions LineClient(const std::string& out) {
  core::SubprocessOptions o;
  o.argv = {"sh", "-c",
            "while IFS= read -r l; do [ \"$l\" = quit ] && exit 0; echo \"$l\" >> '" + out +
                "'; done; echo eof >> '" + out + "'"};
  return o;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(ToolRestoreSinkTest, CompleteStreamEndsOnTheQuitCommandNotOnEndOfInput) {
  auto dir = core::TempDir::Create("hs-sink-");
  ASSERT_TRUE(dir.ok());
  std::string out = dir->path() + "/out";
  auto sink = ToolRestoreSink::Start(LineClient(out), ToolSecrets(), "'test'",
                                     RestoreClientEnd{"END", "\nquit\n", ""});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Write(core::AsBytes(std::string("a\nEND\n"))).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(ReadAll(out), "a\nEND\n\n") << "ended by quit, never by end-of-input";
}

TEST(ToolRestoreSinkTest, TruncatedStreamKillsTheClientBeforeItRunsTheTail) {
  auto dir = core::TempDir::Create("hs-sink-");
  ASSERT_TRUE(dir.ok());
  std::string out = dir->path() + "/out";
  auto sink = ToolRestoreSink::Start(LineClient(out), ToolSecrets(), "'test'",
                                     RestoreClientEnd{"END", "\nquit\n", ""});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Write(core::AsBytes(std::string("a\nhalf-a-stat"))).ok());
  core::Status closed = (*sink)->Close();
  EXPECT_EQ(closed.code(), core::ErrorCode::kIncompleteInput) << closed.ToString();
  sink->reset();
  std::string got = ReadAll(out);
  EXPECT_EQ(got.find("half-a-stat"), std::string::npos) << got;
  EXPECT_EQ(got.find("eof"), std::string::npos) << "the client must never see end-of-input";
}

TEST(MariadbDumpTest, FlagsRecordGtidPositionFromBinlogOrReplica) {
  BackupPlan plan;
  plan.role = InstanceRole::kPrimary;
  plan.metadata["log_bin"] = "ON";
  auto flags = mariadb::MariadbDumpFlags(plan);
  for (const char* f : {"--single-transaction", "--routines", "--events", "--triggers",
                        "--hex-blob", "--master-data=2", "--gtid", "--all-databases"}) {
    EXPECT_NE(std::find(flags.begin(), flags.end(), f), flags.end()) << f;
  }
  plan.role = InstanceRole::kReplica;
  plan.metadata["log_bin"] = "OFF";
  flags = mariadb::MariadbDumpFlags(plan);
  EXPECT_NE(std::find(flags.begin(), flags.end(), "--dump-slave=2"), flags.end());
  plan.role = InstanceRole::kGaleraNode;
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
}  // namespace engine_test
}  // namespace hasteward::engine
