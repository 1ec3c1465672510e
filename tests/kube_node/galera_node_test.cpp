// The real mariadb-operator's Galera on the real node (issue 51's end-to-end tier,
// tools/test-kubernetes.sh): a cluster of 3 from the operator's own example (mariadb_galera.yaml:
// TLS, the operator's agent sidecar and init container) with the MariaDB 10.11 image built from
// Debian's packages (galera-4), and HASteward's CLI with deploy/'s RBAC from inside the node's
// network. Each test continues the cluster the one before left.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/kube_node.h"
#include "support/kube_node_suite.h"
#include "support/real_kube_api.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;

constexpr char kNamespace[] = "galera";
constexpr char kCluster[] = "mariadb-galera";
constexpr int kNodes = 3;
constexpr char kMariaDbs[] = "mariadbs.k8s.mariadb.com";

class GaleraNodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto suite = KubeNodeSuite::Begin("mariadb-operator", kNamespace);
    ASSERT_TRUE(suite.ok()) << suite.status().ToString();
    suite_ = std::move(suite).value().release();
    node_ = &suite_->node();
    CmdResult secret = node_->Kubectl({"create", "secret", "generic", "mariadb", "-n", kNamespace,
                                       "--from-literal=root-password=Root-Galera-Test-1"});
    ASSERT_EQ(secret.exit_code, 0) << secret.err;
    ASSERT_TRUE(node_->Apply(ExampleCluster().dump()).ok());
    auto ready = node_->WaitFor(
        "the mariadb-operator Galera example Ready", std::chrono::seconds(900),
        [] { return Ready(); },
        [] {
          return node_->Kubectl({"get", "pods,pvc," + std::string(kMariaDbs), "-n", kNamespace})
                     .out +
                 node_->Kubectl({"get", "events", "-n", kNamespace}).out;
        });
    ASSERT_TRUE(ready.ok()) << ready.ToString();
    core::Status started = suite_->StartHasteward("hs-galera-node-", "galera-node-test");
    ASSERT_TRUE(started.ok()) << started.ToString();
    env_ = &suite_->env();
  }

  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
    node_ = nullptr;
    env_ = nullptr;
  }

  // mariadb-operator's own example (examples/manifests/mariadb_galera.yaml of the pinned module)
  // with what a machine without a registry or load balancer needs: the local image, no metrics
  // exporter, ClusterIP Services.
  static json ExampleCluster() {
    return MariaDbOperatorExample(*node_, "mariadb_galera.yaml", kNamespace, kNodes);
  }

  static bool Ready() { return MariaDbReady(*node_, kNamespace, kCluster); }

  static CmdResult Kube(std::vector<std::string> args) {
    args.insert(args.begin(), {"--platform", "kubernetes"});
    args.insert(args.end(), {"-e", "galera", "-c", kCluster, "-n", kNamespace});
    return env_->Run(args);
  }

  static std::string Pod(int node) { return std::string(kCluster) + "-" + std::to_string(node); }

  // The mariadb client as root in node `node`'s pod (exec through the API server and the kubelet).
  static CmdResult Sql(int node, const std::string& sql) {
    return node_->Exec(
        kNamespace, Pod(node), "mariadb",
        {"sh", "-c", "mariadb -uroot -p\"$MARIADB_ROOT_PASSWORD\" -N -B -e \"$1\"", "sql", sql});
  }

  // shop.items with 2,000 rows, through node 0 (each test may be the first to run).
  static void LoadShop() {
    CmdResult loaded = Sql(0,
                           "CREATE DATABASE IF NOT EXISTS shop; CREATE TABLE IF NOT EXISTS "
                           "shop.items (id INT PRIMARY KEY, name VARCHAR(64)); INSERT IGNORE INTO "
                           "shop.items SELECT seq, concat('item ', seq) FROM shop.seq_1_to_2000;");
    ASSERT_EQ(loaded.exit_code, 0) << loaded.out << loaded.err;
  }

  static std::string Checksum(int node) {
    CmdResult r = Sql(node, "CHECKSUM TABLE shop.items");
    return r.exit_code == 0 ? r.out : "error: " + r.err;
  }

  static KubeNodeSuite* suite_;
  static KubeNode* node_;     // suite_'s
  static HastewardEnv* env_;  // suite_'s
};

KubeNodeSuite* GaleraNodeTest::suite_ = nullptr;
KubeNode* GaleraNodeTest::node_ = nullptr;
HastewardEnv* GaleraNodeTest::env_ = nullptr;

TEST_F(GaleraNodeTest, TriageFindsThreeSyncedNodes) {
  CmdResult triage = Kube({"triage", "--json"});
  ASSERT_EQ(triage.exit_code, 0) << triage.out << triage.err;
  const json report = json::parse(LastLine(triage.out));
  EXPECT_EQ(report["verdict"], "healthy") << triage.out;
  EXPECT_EQ(report["instances"].size(), static_cast<size_t>(kNodes)) << triage.out;
}

// Issue 51, item 4, on the real operator: a Galera native restore into pods is refused (exit 2)
// before anything is suspended, scaled or streamed. The restore bootstraps a new cluster from the
// restored node, and mariadb-operator keeps bootstrapping to itself: its Galera recovery asks the
// agent sidecar (pkg/agent/handler/galera/galera.go, PUT /galera/bootstrap) to write
// 1-bootstrap.cnf (wsrep_new_cluster="ON", pkg/galera/recovery/recovery.go) into the node it
// chose. The native backup it would restore streams from a pod. A binlog point-in-time restore,
// whose base is that native restore, is refused for the same reason before it reads the archive
// (the operator's example runs without log_bin, so nothing could be archived here either).
TEST_F(GaleraNodeTest, ANativeBackupStreamsButItsRestoreIsRefusedBeforeAnythingStops) {
  ASSERT_NO_FATAL_FAILURE(LoadShop());
  const std::string before = Checksum(0);
  CmdResult backup = Kube({"backup", "--method", "native", "--json"});
  const std::string id = SnapshotIdOf(backup);
  ASSERT_FALSE(id.empty()) << backup.out << backup.err;
  CmdResult refused = Kube({"restore", "--snapshot", id, "--yes", "--confirm-rewind"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("which its operator does not let hasteward start that way"),
            std::string::npos)
      << refused.err;
  CmdResult position = Sql(0, "SELECT @@gtid_binlog_pos");
  ASSERT_EQ(position.exit_code, 0) << position.err;
  CmdResult to_point =
      Kube({"restore", "--until-gtid", position.out.substr(0, position.out.find('\n')), "--yes",
            "--confirm-rewind"});
  EXPECT_EQ(to_point.exit_code, 2) << to_point.out << to_point.err;
  EXPECT_NE(to_point.err.find("which its operator does not let hasteward start that way"),
            std::string::npos)
      << to_point.err;
  EXPECT_EQ(MariaDbHandedBack(*node_, kNamespace, kCluster, kNodes), "");
  for (int n = 0; n < kNodes; ++n) {
    EXPECT_EQ(Checksum(n), before) << Pod(n);
  }
}

// The origin README's Galera repair on the real operator: a forced re-clone of node 2 suspends
// the MariaDB, scales its StatefulSet down past the node, resets the node's Galera state through
// a helper pod on its volume, scales back up and resumes; the node rejoins by state transfer and
// holds the rows written before, and everything HASteward changed is back.
TEST_F(GaleraNodeTest, AForcedRepairHealsANodeThroughSuspendAndScaleDown) {
  ASSERT_NO_FATAL_FAILURE(LoadShop());
  const std::string before = Checksum(0);
  ASSERT_EQ(before.rfind("error", 0), std::string::npos) << before;

  CmdResult healed = Kube({"repair", "-i", "2", "--force", "--heal-timeout", "600s"});
  ASSERT_EQ(healed.exit_code, 0) << healed.out << healed.err;
  const std::string log = healed.out + healed.err;
  EXPECT_NE(log.find("'" + Pod(2) + "' joined and is Synced"), std::string::npos) << log;

  for (int n = 0; n < kNodes; ++n) {
    auto same = node_->WaitFor("node " + Pod(n) + " to hold the rows", std::chrono::seconds(180),
                               [&] { return Checksum(n) == before; });
    EXPECT_TRUE(same.ok()) << same.ToString() << Checksum(n);
  }
  CmdResult size = Sql(2,
                       "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                       "VARIABLE_NAME = 'wsrep_cluster_size'");
  EXPECT_EQ(size.out.substr(0, 1), "3") << size.out << size.err;
  EXPECT_EQ(MariaDbHandedBack(*node_, kNamespace, kCluster, kNodes), "");
  auto ready =
      node_->WaitFor("the MariaDB Ready again", std::chrono::seconds(300), [] { return Ready(); });
  EXPECT_TRUE(ready.ok()) << ready.ToString();
  CmdResult triage = Kube({"triage", "--json"});
  EXPECT_EQ(triage.exit_code, 0) << triage.out << triage.err;
}

}  // namespace
}  // namespace hasteward::testing
