// Drives `hasteward sandbox up|list|down` end to end on real servers: each engine comes up,
// replicates a row written on the primary, and `down` leaves no process, port or directory.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/process_info.h"
#include "core/status.h"
#include "core/subprocess.h"
#include "core/temp_dir.h"
#include "platform/local/inventory.h"
#include "platform/sandbox/ports.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"

namespace hasteward {
namespace {

using platform::EngineKind;

class SandboxCliTest : public ::testing::Test {
 protected:
  platform::Cluster LoadCluster(const std::string& ns, const std::string& name) {
    auto clusters = platform::LoadInventory(hs_.inventory());
    EXPECT_TRUE(clusters.ok());
    for (const auto& c : *clusters) {
      if (c.ns == ns && c.name == name)
        return c;
    }
    ADD_FAILURE() << "cluster " << ns << "/" << name << " not in inventory";
    return {};
  }

  // Polls `sql` on instance `ordinal` until its output contains `want` (30 s deadline).
  void ExpectEventually(const platform::Cluster& c, int ordinal, const std::string& sql,
                        const std::string& want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto out = testing::RunClusterSql(c, ordinal, sql);
      last = out.ok() ? *out : out.status().message();
      if (out.ok() && out->find(want) != std::string::npos)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "instance " << ordinal << " never returned '" << want << "'; last: " << last;
  }

  void UpReplicateDown(const std::string& engine, const std::string& name,
                       const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"sandbox", "up", "-e", engine,        "-c",
                                  name,      "-n", "it", "--instances", "3"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto start = std::chrono::steady_clock::now();
    auto up = hs_.Run(args);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(up.exit_code, 0) << up.err;
    std::cout << "[ timing ] sandbox up " << engine << " x3 " << secs << " s\n";
    RecordProperty("sandbox_up_seconds", std::to_string(secs));

    platform::Cluster c = LoadCluster("it", name);
    ASSERT_EQ(c.instances.size(), 3u);
    ExpectReplication(c);
    ExpectListedRunning(name);
    ExpectDownLeavesNothing(c);
  }

  void ExpectReplication(const platform::Cluster& c) {
    bool pg = c.engine == EngineKind::kPostgres;
    std::string create = pg ? "CREATE TABLE t (id int primary key, v text);"
                              "INSERT INTO t VALUES (1, 'written-on-primary');"
                            : "CREATE DATABASE d; CREATE TABLE d.t (id int primary key, v text);"
                              "INSERT INTO d.t VALUES (1, 'written-on-primary');";
    auto w = testing::RunClusterSql(c, 0, create);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::string read = pg ? "SELECT v FROM t WHERE id = 1;" : "SELECT v FROM d.t WHERE id = 1;";
    for (int n = 1; n < 3; ++n)
      ExpectEventually(c, n, read, "written-on-primary");
  }

  void ExpectListedRunning(const std::string& name) {
    auto list = hs_.Run({"sandbox", "list", "--json"});
    ASSERT_EQ(list.exit_code, 0) << list.err;
    auto j = nlohmann::json::parse(list.out);
    bool found = false;
    for (const auto& c : j) {
      if (c["name"] != name)
        continue;
      found = true;
      for (const auto& i : c["instances"])
        EXPECT_TRUE(i["running"].get<bool>()) << i.dump();
    }
    EXPECT_TRUE(found) << list.out;
  }

  void ExpectDownLeavesNothing(const platform::Cluster& c) {
    std::string cluster_dir = c.options.at("sandboxDir");
    auto down = hs_.Run({"sandbox", "down", "-c", c.name, "-n", c.ns});
    ASSERT_EQ(down.exit_code, 0) << down.err;
    EXPECT_TRUE(core::ProcessesMentioning(hs_.state_dir()).empty()) << "processes left";
    for (const auto& i : c.instances) {
      EXPECT_TRUE(platform::sandbox::PortIsFree(i.port)) << "port " << i.port << " still bound";
      if (i.labels.count("gmcastPort")) {
        EXPECT_TRUE(platform::sandbox::PortIsFree(std::stoi(i.labels.at("gmcastPort"))));
      }
    }
    EXPECT_FALSE(std::filesystem::exists(cluster_dir)) << cluster_dir;
    EXPECT_FALSE(std::filesystem::exists(hs_.state_dir() + "/" + c.ns));
    auto clusters = platform::LoadInventory(hs_.inventory());
    ASSERT_TRUE(clusters.ok());
    EXPECT_TRUE(clusters->empty());
  }

  testing::HastewardEnv hs_{"hasteward-sandbox-it-", "sandbox-test"};
};

TEST_F(SandboxCliTest, PostgresStreamsToStandbysAndDownLeavesNothing) {
  UpReplicateDown("cnpg", "pg");
}

// Bench finding: verify's scratch sandbox nests a state directory in its own, and under a deep
// work directory its PostgreSQL socket path passed the kernel's 107 bytes: the server could not
// listen and verify failed. A socket that would not fit goes to a short directory of its own,
// which `sandbox down` removes with the rest.
TEST_F(SandboxCliTest, ADeepStateDirectoryStillServesAndDownRemovesTheSocketDirectory) {
  const std::string deep =
      hs_.state_dir() + "/" + std::string(60, 'd') + "/" + std::string(30, 'e');
  for (const char* engine : {"cnpg", "mariadb"}) {
    SCOPED_TRACE(engine);
    auto up = hs_.Run({"sandbox", "up", "-e", engine, "-c", "deep", "-n", "it", "--instances", "1"},
                      "", {{"HASTEWARD_STATE_DIR", deep}});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    platform::Cluster c = LoadCluster("it", "deep");
    ASSERT_EQ(c.instances.size(), 1u);
    const std::string& socket = c.instances[0].socket;
    ASSERT_EQ(socket.rfind("/tmp/hasteward-sock-", 0), 0U) << socket;
    const std::string fallback = socket.substr(0, socket.find('/', 5));
    auto w = testing::RunClusterSql(c, 0, "SELECT 40 + 2");
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_NE(w->find("42"), std::string::npos);
    auto down =
        hs_.Run({"sandbox", "down", "-c", "deep", "-n", "it"}, "", {{"HASTEWARD_STATE_DIR", deep}});
    ASSERT_EQ(down.exit_code, 0) << down.err;
    EXPECT_FALSE(std::filesystem::exists(fallback)) << fallback;
  }
}

TEST_F(SandboxCliTest, MariadbAsyncReplicatesAndDownLeavesNothing) {
  UpReplicateDown("mariadb", "maria");
}

TEST_F(SandboxCliTest, MariadbSemisyncReplicatesWithSemisyncOn) {
  auto start = std::chrono::steady_clock::now();
  auto up = hs_.Run({"sandbox", "up", "-e", "mariadb", "-c", "semi", "-n", "it", "--instances", "3",
                     "--replication-mode", "semisync"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  std::cout << "[ timing ] sandbox up mariadb semisync x3 "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << " s\n";
  platform::Cluster c = LoadCluster("it", "semi");
  EXPECT_EQ(c.options["replication_mode"], "semisync");
  ExpectReplication(c);
  auto status = testing::RunClusterSql(c, 0, "SHOW STATUS LIKE 'Rpl_semi_sync_master_status';");
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->find("ON"), std::string::npos) << *status;
  auto clients = testing::RunClusterSql(c, 0, "SHOW STATUS LIKE 'Rpl_semi_sync_master_clients';");
  ASSERT_TRUE(clients.ok());
  EXPECT_NE(clients->find("\t2"), std::string::npos) << *clients;
  ExpectDownLeavesNothing(c);
}

TEST_F(SandboxCliTest, GaleraFormsClusterOfThreeAndDownLeavesNothing) {
  UpReplicateDown("galera", "gal");
}

TEST_F(SandboxCliTest, SecondUpOfSameClusterIsAlreadyExists) {
  auto up =
      hs_.Run({"sandbox", "up", "-e", "postgres", "-c", "dup", "-n", "it", "--instances", "1"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  auto again =
      hs_.Run({"sandbox", "up", "-e", "postgres", "-c", "dup", "-n", "it", "--instances", "1"});
  EXPECT_EQ(again.exit_code, static_cast<int>(core::ErrorCode::kAlreadyExists)) << again.err;
  ExpectDownLeavesNothing(LoadCluster("it", "dup"));
}

TEST_F(SandboxCliTest, DownOfUnknownClusterSucceeds) {
  auto down = hs_.Run({"sandbox", "down", "-c", "never-made", "-n", "it"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
}

TEST_F(SandboxCliTest, BadInputIsUsage) {
  auto engine = hs_.Run({"sandbox", "up", "-e", "oracle", "-c", "x"});
  EXPECT_EQ(engine.exit_code, static_cast<int>(core::ErrorCode::kUsage)) << engine.err;
  auto name = hs_.Run({"sandbox", "up", "-e", "cnpg", "-c", "Bad_Name"});
  EXPECT_EQ(name.exit_code, static_cast<int>(core::ErrorCode::kUsage)) << name.err;
  auto no_name = hs_.Run({"sandbox", "up", "-e", "cnpg"});
  EXPECT_EQ(no_name.exit_code, static_cast<int>(core::ErrorCode::kUsage)) << no_name.err;
  EXPECT_FALSE(std::filesystem::exists(hs_.state_dir() + "/default"));
}

// The RAII helper other tests use: Create brings a cluster up, Sql reaches it, Down removes it.
TEST(SandboxClusterHelperTest, CreateSqlAndDown) {
  testing::SandboxCluster::Options options;
  options.engine = EngineKind::kPostgres;
  options.instances = 2;
  auto pg = testing::SandboxCluster::Create(options);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  auto one = (*pg)->Sql(1, "SELECT pg_is_in_recovery();");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, "t\n");
  std::string dir = (*pg)->cluster().options.at("sandboxDir");
  EXPECT_TRUE(std::filesystem::exists(dir));
  ASSERT_TRUE((*pg)->Down().ok());
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(core::ProcessesMentioning(dir).empty());
}

}  // namespace
}  // namespace hasteward
