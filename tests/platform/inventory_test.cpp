#include "platform/local/inventory.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "platform/local/local_platform.h"

namespace hasteward::platform {
namespace {

Cluster SampleCluster(const std::string& name) {
  Cluster c;
  c.name = name;
  c.ns = "prod";
  c.engine = EngineKind::kMariadb;
  c.credentials = {"admin", {"/etc/hs/admin.pw", ""}};
  c.replication = {"repl", {"", "REPL_PASSWORD"}};
  c.options = {{"replication_mode", "semisync"}};
  Instance i;
  i.name = name + "-0";
  i.ordinal = 0;
  i.host = "10.0.0.5";
  i.port = 3306;
  i.socket = "/run/mysqld/mysqld.sock";
  i.data_dir = "/var/lib/mysql";
  i.os_user = "mysql";
  i.bin_dir = "/usr/sbin";
  i.config_file = "/etc/mysql/my.cnf";
  i.log_file = "/var/log/mysql/error.log";
  i.start_command = {"systemctl", "start", "mariadb"};
  i.stop_command = {"systemctl", "stop", "mariadb"};
  i.labels = {{"role", "primary"}};
  c.instances.push_back(i);
  Instance j = i;
  j.name = name + "-1";
  j.ordinal = 1;
  j.labels = {{"role", "replica"}};
  c.instances.push_back(j);
  return c;
}

void ExpectSameInstance(const Instance& a, const Instance& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.ordinal, b.ordinal);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.port, b.port);
  EXPECT_EQ(a.socket, b.socket);
  EXPECT_EQ(a.data_dir, b.data_dir);
  EXPECT_EQ(a.os_user, b.os_user);
  EXPECT_EQ(a.bin_dir, b.bin_dir);
  EXPECT_EQ(a.config_file, b.config_file);
  EXPECT_EQ(a.log_file, b.log_file);
  EXPECT_EQ(a.start_command, b.start_command);
  EXPECT_EQ(a.stop_command, b.stop_command);
  EXPECT_EQ(a.labels, b.labels);
}

TEST(InventoryTest, EmitThenParseRoundTrips) {
  std::vector<Cluster> in{SampleCluster("db1"), SampleCluster("db2")};
  auto out = ParseInventory(EmitInventory(in), "mem");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 2u);
  const Cluster& c = (*out)[0];
  EXPECT_EQ(c.name, "db1");
  EXPECT_EQ(c.ns, "prod");
  EXPECT_EQ(c.engine, EngineKind::kMariadb);
  EXPECT_EQ(c.credentials.user, "admin");
  EXPECT_EQ(c.credentials.password.file, "/etc/hs/admin.pw");
  EXPECT_EQ(c.replication.password.env, "REPL_PASSWORD");
  EXPECT_EQ(c.options, in[0].options);
  ASSERT_EQ(c.instances.size(), 2u);
  ExpectSameInstance(c.instances[0], in[0].instances[0]);
  ExpectSameInstance(c.instances[1], in[0].instances[1]);
}

TEST(InventoryTest, ParsesHandWrittenFileWithDefaults) {
  auto out = ParseInventory(R"(
clusters:
  - name: pg
    engine: postgres
    credentials: {user: postgres, passwordEnv: PGPW}
    instances:
      - name: pg-a
        port: 5432
)",
                            "mem");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].ns, "default");
  EXPECT_EQ((*out)[0].engine, EngineKind::kPostgres);
  EXPECT_EQ((*out)[0].instances[0].host, "127.0.0.1");
  EXPECT_EQ((*out)[0].instances[0].ordinal, 0);
}

TEST(InventoryTest, MalformedYamlNamesFileAndLine) {
  auto out = ParseInventory("clusters:\n  - name: x\n    engine: [unclosed\n", "/etc/inv.yaml");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(out.status().message().find("'/etc/inv.yaml' line"), std::string::npos)
      << out.status().message();
}

TEST(InventoryTest, RejectsUnknownKeyWithLine) {
  auto out = ParseInventory(
      "clusters:\n  - name: x\n    engine: galera\n    credentials:\n      password_file: /p\n",
      "inv");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("unknown key 'password_file'"), std::string::npos);
  EXPECT_NE(out.status().message().find("line 5"), std::string::npos) << out.status().message();
}

TEST(InventoryTest, RejectsBadEngineDuplicatesAndBothPasswordSources) {
  EXPECT_FALSE(ParseInventory("clusters: [{name: x, engine: oracle}]", "i").ok());
  EXPECT_FALSE(
      ParseInventory("clusters: [{name: x, engine: cnpg}, {name: x, engine: galera}]", "i").ok());
  EXPECT_FALSE(ParseInventory("clusters: [{name: x, engine: cnpg, credentials: "
                              "{user: u, passwordFile: /f, passwordEnv: E}}]",
                              "i")
                   .ok());
  EXPECT_FALSE(ParseInventory("clusters: [{name: x, engine: cnpg, instances: "
                              "[{name: a, ordinal: 1}, {name: b, ordinal: 1}]}]",
                              "i")
                   .ok());
  EXPECT_FALSE(ParseInventory("clusters: [{name: x, engine: cnpg, instances: "
                              "[{name: a, port: notaport}]}]",
                              "i")
                   .ok());
}

TEST(InventoryTest, MissingFileIsEmptyAndSaveIsPrivateAndReadable) {
  auto dir = core::TempDir::Create("hs-inv-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/sub/inventory.yaml";
  auto empty = LoadInventory(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(SaveInventory(path, {SampleCluster("db1")}).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = LoadInventory(path);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].name, "db1");
}

TEST(InventoryTest, SaveKeepsModeOfExistingDirectory) {
  auto dir = core::TempDir::Create("hs-inv-");
  ASSERT_TRUE(dir.ok());
  ASSERT_EQ(::chmod(dir->path().c_str(), 0755), 0);
  ASSERT_TRUE(SaveInventory(dir->path() + "/inventory.yaml", {}).ok());
  struct stat st {};
  ASSERT_EQ(::stat(dir->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

TEST(LocalPlatformTest, AddFindRemoveCluster) {
  auto dir = core::TempDir::Create("hs-inv-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/inventory.yaml";
  auto p = LocalPlatform::Open(path);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->AddCluster(SampleCluster("db1")).ok());
  auto dup = (*p)->AddCluster(SampleCluster("db1"));
  EXPECT_EQ(dup.code(), core::ErrorCode::kAlreadyExists);

  auto reopened = LocalPlatform::Open(path);
  ASSERT_TRUE(reopened.ok());
  auto found = (*reopened)->FindCluster("prod", "db1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->instances.size(), 2u);

  auto missing = (*reopened)->FindCluster("prod", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::ErrorCode::kNotFound);
  EXPECT_NE(missing.status().hint().find("prod/db1"), std::string::npos);

  ASSERT_TRUE((*reopened)->RemoveCluster("prod", "db1").ok());
  auto after = LocalPlatform::Open(path);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE((*after)->FindCluster("prod", "db1").ok());
}

TEST(LocalPlatformTest, ReplaceClusterRewritesTheEntryAndRefusesAnUnknownOne) {
  auto dir = core::TempDir::Create("hs-inv-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/inventory.yaml";
  auto p = LocalPlatform::Open(path);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->AddCluster(SampleCluster("db1")).ok());
  ASSERT_TRUE((*p)->AddCluster(SampleCluster("db2")).ok());
  Cluster changed = SampleCluster("db1");
  changed.credentials.user = "root";
  ASSERT_TRUE((*p)->ReplaceCluster(changed).ok());
  auto reopened = LocalPlatform::Open(path);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->FindCluster("prod", "db1")->credentials.user, "root");
  EXPECT_EQ((*reopened)->FindCluster("prod", "db2")->credentials.user, "admin");
  EXPECT_EQ((*reopened)->ListClusters()->size(), 2u);
  EXPECT_EQ((*reopened)->ReplaceCluster(SampleCluster("db3")).code(), core::ErrorCode::kNotFound);
}

TEST(LocalPlatformTest, MalformedInventoryFailsToOpen) {
  auto dir = core::TempDir::Create("hs-inv-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/inventory.yaml";
  ASSERT_TRUE(SaveInventory(path, {}).ok());
  {
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("clusters: {{{", f);
    std::fclose(f);
  }
  auto p = LocalPlatform::Open(path);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::ErrorCode::kUsage);
}

}  // namespace
}  // namespace hasteward::platform
