// End to end on real sandbox clusters, driving the hasteward binary: back up a cluster, damage its
// data, restore, and compare per-table checksums; load the exported .sql.gz into a fresh instance;
// bad input (unknown cluster, wrong credentials, a dump killed mid-stream, instance down) fails
// clearly and saves nothing.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "support/hasteward_env.h"

namespace hasteward::testing {
namespace {

struct EngineCase {
  std::string engine;
  int instances;
  std::string expect_source_role;
};

class ClusterBackupTest : public ::testing::TestWithParam<EngineCase> {
 protected:
  void SetUp() override {
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    Up("shop", GetParam().instances);
  }

  void TearDown() override {
    for (const auto& c : clusters_)
      hs_.Run({"sandbox", "down", "-c", c, "-n", "test"});
  }

  void Up(const std::string& name, int instances) {
    auto r = hs_.Run({"sandbox", "up", "-e", GetParam().engine, "-c", name, "-n", "test",
                      "--instances", std::to_string(instances)});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    clusters_.push_back(name);
  }

  // The inventory entry of a cluster (as written by sandbox up).
  nlohmann::json Cluster(const std::string& name) {
    auto r = hs_.Run({"sandbox", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const auto& c : nlohmann::json::parse(r.out)) {
      if (c.value("name", "") == name)
        return c;
    }
    ADD_FAILURE() << "cluster " << name << " not listed: " << r.out;
    return {};
  }

  int Port(const std::string& cluster, int ordinal) {
    return Cluster(cluster)["instances"][ordinal]["port"].get<int>();
  }

  std::string Password(const std::string& cluster) {
    std::string dir = hs_.dir() + "/state/test/" + cluster;
    std::string file =
        GetParam().engine == "cnpg" ? dir + "/superuser.password" : dir + "/admin.password";
    std::ifstream f(file);
    std::string pw;
    std::getline(f, pw);
    return pw;
  }

  // Runs SQL on instance `ordinal` of `cluster`; returns stdout.
  std::string Sql(const std::string& cluster, int ordinal, const std::string& sql,
                  const std::string& db = "") {
    std::string port = std::to_string(Port(cluster, ordinal));
    CmdResult r;
    if (GetParam().engine == "cnpg") {
      // Peer authentication over the socket: a restored dump may bring other role passwords.
      std::string socket = Cluster(cluster)["instances"][ordinal]["socket"].get<std::string>();
      r = RunCommand({"runuser", "-u", "postgres", "--", "psql", "-h", socket, "-p", port, "-d",
                      db.empty() ? "postgres" : db, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                      "-c", sql});
    } else {
      std::vector<std::string> argv = {"mariadb", "-h", "127.0.0.1", "-P", port, "-u",
                                       "admin",   "-N", "-B",        "-e", sql};
      if (!db.empty())
        argv.push_back(db);
      r = RunCommand(argv, {{"MYSQL_PWD", Password(cluster)}});
    }
    EXPECT_EQ(r.exit_code, 0) << sql << ": " << r.err;
    return r.out;
  }

  void LoadDataset(const std::string& cluster) {
    Sql(cluster, 0, "CREATE DATABASE shop");
    std::string make =
        "CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(40), total DECIMAL(10,2));"
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40));";
    std::string fill =
        GetParam().engine == "cnpg"
            ? "INSERT INTO orders SELECT g, 'c' || (g % 97), g * 1.25 FROM generate_series(1, "
              "5000) g;"
              "INSERT INTO items SELECT g, 'item-' || g FROM generate_series(1, 300) g;"
            : "INSERT INTO orders SELECT seq, CONCAT('c', seq % 97), seq * 1.25 FROM seq_1_to_5000;"
              "INSERT INTO items SELECT seq, CONCAT('item-', seq) FROM seq_1_to_300;";
    Sql(cluster, 0, make + fill, "shop");
  }

  // Per-table checksums: md5 over ordered rows (PostgreSQL), CHECKSUM TABLE (MariaDB).
  std::string Checksums(const std::string& cluster, int ordinal) {
    if (GetParam().engine == "cnpg") {
      return Sql(cluster, ordinal,
                 "SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o) || ' ' ||"
                 " (SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM items i)",
                 "shop");
    }
    return Sql(cluster, ordinal, "CHECKSUM TABLE shop.orders, shop.items");
  }

  size_t SnapshotCount() {
    auto r = hs_.Run({"get", "backups", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out).size();
  }

  HastewardEnv hs_{"hs-cluster-", "cluster-test"};
  std::vector<std::string> clusters_;
};

TEST_P(ClusterBackupTest, BackupDamageRestoreAndExportRoundTrip) {
  const auto& p = GetParam();
  LoadDataset("shop");
  std::string before = Checksums("shop", 0);
  ASSERT_FALSE(before.empty());

  auto b = hs_.Run({"backup", "-e", p.engine, "-c", "shop", "-n", "test", "--json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto summary = nlohmann::json::parse(b.out.substr(b.out.find('{')));
  EXPECT_EQ(summary["source_role"], p.expect_source_role) << b.out;
  if (p.engine != "cnpg") {
    EXPECT_NE(summary["source_instance"], "shop-0") << "a replica / non-first node serves dumps";
  }
  auto list = nlohmann::json::parse(hs_.Run({"get", "backups", "-c", "shop", "--json"}).out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["type"], "backup");
  EXPECT_EQ(list[0]["namespace"], "test");

  Sql("shop", 0, "DELETE FROM orders WHERE id > 100; DROP TABLE items;", "shop");
  auto refused = hs_.Run({"restore", "-e", p.engine, "-c", "shop", "-n", "test"});
  EXPECT_EQ(refused.exit_code, 26) << refused.err;
  EXPECT_NE(refused.err.find("--confirm-overwrite"), std::string::npos) << refused.err;

  auto restored =
      hs_.Run({"restore", "-e", p.engine, "-c", "shop", "-n", "test", "--confirm-overwrite"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(Checksums("shop", 0), before);

  std::string gz = hs_.dir() + "/shop.sql.gz";
  ASSERT_EQ(hs_.Run({"export", "-e", p.engine, "-c", "shop", "-n", "test", "--snapshot", "latest",
                     "-o", gz})
                .exit_code,
            0);
  Up("fresh", 1);
  std::string port = std::to_string(Port("fresh", 0));
  std::string load =
      p.engine == "cnpg"
          // As PostgreSQL documents for pg_dumpall output: psql without ON_ERROR_STOP (the dump
          // recreates the role the load connects as), over the socket with peer authentication
          // because the dump also brings the source cluster's role passwords.
          ? "zcat '" + gz + "' | runuser -u postgres -- psql -X -q -h '" +
                Cluster("fresh")["instances"][0]["socket"].get<std::string>() + "' -p " + port +
                " -d postgres >/dev/null"
          : "zcat '" + gz + "' | mariadb -h 127.0.0.1 -P " + port + " -u admin";
  auto loaded = RunCommand({"sh", "-c", load},
                           {{"PGPASSWORD", Password("fresh")}, {"MYSQL_PWD", Password("fresh")}});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(Checksums("fresh", 0), before);
}

TEST_P(ClusterBackupTest, BadInputFailsClearlyAndSavesNothing) {
  const auto& p = GetParam();
  auto unknown = hs_.Run({"backup", "-e", p.engine, "-c", "nosuch", "-n", "test"});
  EXPECT_EQ(unknown.exit_code, 20) << unknown.err;
  EXPECT_NE(unknown.err.find("nosuch"), std::string::npos) << unknown.err;

  std::string inv = hs_.dir() + "/inventory.yaml";
  std::string bad_pw = WriteFile(hs_.dir() + "/wrong.password", "definitely-wrong\n");
  std::string bad_inv = hs_.dir() + "/bad-inventory.yaml";
  auto sed = RunCommand({"sh", "-c",
                         "sed -E 's#(passwordFile: ).*(superuser|admin)\\.password#\\1" + bad_pw +
                             "#' '" + inv + "' > '" + bad_inv + "'"});
  ASSERT_EQ(sed.exit_code, 0);
  auto wrong =
      hs_.Run({"backup", "-e", p.engine, "-c", "shop", "-n", "test", "--inventory", bad_inv});
  EXPECT_EQ(wrong.exit_code, 22) << wrong.err;
  EXPECT_EQ(wrong.err.find("definitely-wrong"), std::string::npos) << "secrets never printed";

  // The dump process dies by SIGKILL after 64 KiB of output: the instance's binDir points at a
  // wrapper that runs the real dump tool, truncates it and kills itself.
  std::string real_tool =
      p.engine == "cnpg" ? "/usr/lib/postgresql/15/bin/pg_dumpall" : "/usr/bin/mariadb-dump";
  std::string tool_name = real_tool.substr(real_tool.rfind('/') + 1);
  std::string kill_bin = hs_.dir() + "/killbin";
  ::mkdir(kill_bin.c_str(), 0755);
  WriteFile(kill_bin + "/" + tool_name,
            "#!/bin/sh\n\"" + real_tool + "\" \"$@\" | head -c 65536\nkill -9 $$\n");
  ::chmod((kill_bin + "/" + tool_name).c_str(), 0755);
  std::string kill_inv = hs_.dir() + "/kill-inventory.yaml";
  ASSERT_EQ(RunCommand({"sh", "-c",
                        "sed -E 's#^( *)binDir: .*#\\1binDir: " + kill_bin + "#' '" + inv +
                            "' > '" + kill_inv + "'"})
                .exit_code,
            0);
  auto killed =
      hs_.Run({"backup", "-e", p.engine, "-c", "shop", "-n", "test", "--inventory", kill_inv});
  EXPECT_EQ(killed.exit_code, 23) << killed.err;
  EXPECT_NE(killed.err.find("signal 9"), std::string::npos) << killed.err;
  EXPECT_EQ(SnapshotCount(), 0u) << "a killed dump must not become a snapshot";

  for (int i = p.instances - 1; i >= 0; --i) {
    auto stop = hs_.Run({"instance", "stop", "-c", "shop", "-n", "test", "-i", std::to_string(i)});
    ASSERT_EQ(stop.exit_code, 0) << stop.err;
  }
  auto down = hs_.Run({"backup", "-e", p.engine, "-c", "shop", "-n", "test"});
  EXPECT_EQ(down.exit_code, 21) << down.err;
  EXPECT_EQ(SnapshotCount(), 0u);
}

// MariaDB replicas: a backup holds what the primary had committed when it was asked for, even from
// a replica whose applier is behind (MASTER_DELAY holds every event back 6 s while the replica
// reports itself healthy, as an idle applier with events in flight does). Before the fix the dump
// of such a replica silently lacked the last writes (CI caught the rows of a fresh load missing).
using ReplicaBackupTest = ClusterBackupTest;

TEST_P(ReplicaBackupTest, BackupHoldsThePrimarysWritesFromADelayedReplica) {
  const auto& p = GetParam();
  LoadDataset("shop");
  for (int i = 1; i < p.instances; ++i) {
    Sql("shop", i, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=6; START SLAVE");
  }
  Sql("shop", 0, "INSERT INTO orders VALUES (9001, 'late', 1.00)", "shop");
  std::string before = Checksums("shop", 0);
  std::string position = Sql("shop", 0, "SELECT @@global.gtid_binlog_pos");
  position.erase(position.find_last_not_of('\n') + 1);

  auto b = hs_.Run({"backup", "-e", p.engine, "-c", "shop", "-n", "test", "--json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto summary = nlohmann::json::parse(b.out.substr(b.out.find('{')));
  EXPECT_EQ(summary["source_role"], "replica") << b.out;

  std::string gz = hs_.dir() + "/late.sql.gz";
  ASSERT_EQ(hs_.Run({"export", "-e", p.engine, "-c", "shop", "-n", "test", "--snapshot", "latest",
                     "-o", gz})
                .exit_code,
            0);
  auto late = RunCommand({"sh", "-c", "zcat '" + gz + "' | grep -c \"'late'\""});
  EXPECT_EQ(late.out, "1\n") << "the row written just before the backup is in its dump";
  Up("fresh", 1);
  auto loaded = RunCommand({"sh", "-c",
                            "zcat '" + gz + "' | mariadb -h 127.0.0.1 -P " +
                                std::to_string(Port("fresh", 0)) + " -u admin"},
                           {{"MYSQL_PWD", Password("fresh")}});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(Checksums("fresh", 0), before) << "primary at " << position;
}

INSTANTIATE_TEST_SUITE_P(Mariadb, ReplicaBackupTest,
                         ::testing::Values(EngineCase{"mariadb", 2, "replica"}),
                         [](const auto& test_info) { return test_info.param.engine; });

INSTANTIATE_TEST_SUITE_P(Engines, ClusterBackupTest,
                         ::testing::Values(EngineCase{"cnpg", 2, "primary"},
                                           EngineCase{"mariadb", 3, "replica"},
                                           EngineCase{"galera", 3, "galera-node"}),
                         [](const auto& test_info) { return test_info.param.engine; });

}  // namespace
}  // namespace hasteward::testing
