// The real mariadb-operator on the real node (issue 51's end-to-end tier,
// tools/test-kubernetes.sh): the operator from its Helm chart, built from its Go module, a
// replication cluster of 2 made from the operator's own example (mariadb_replication.yaml:
// semi-synchronous, GTID strict mode, TLS) with the MariaDB 10.11 image built from Debian's
// packages to the official image's contract, and HASteward's CLI with deploy/'s RBAC from inside
// the node's network. Each test continues the cluster the one before left.
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/kube_node.h"
#include "support/kube_node_api_only.h"
#include "support/kube_node_suite.h"
#include "support/kube_node_writer.h"
#include "support/real_kube_api.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;

constexpr char kNamespace[] = "mdb";
constexpr char kCluster[] = "mariadb-repl";
constexpr int kReplicas = 2;

class MariadbNodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto suite = KubeNodeSuite::Begin("mariadb-operator", kNamespace);
    ASSERT_TRUE(suite.ok()) << suite.status().ToString();
    suite_ = std::move(suite).value().release();
    node_ = &suite_->node();
    CmdResult secret = node_->Kubectl({"create", "secret", "generic", "mariadb", "-n", kNamespace,
                                       "--from-literal=root-password=Root-Node-Test-1",
                                       "--from-literal=password=Repl-Node-Test-1"});
    ASSERT_EQ(secret.exit_code, 0) << secret.err;
    ASSERT_TRUE(node_->Apply(ExampleCluster().dump()).ok());
    auto ready = node_->WaitFor(
        "the mariadb-operator replication example Ready", std::chrono::seconds(900),
        [] { return MariaDbReady(*node_, kNamespace, kCluster); },
        [] {
          return node_->Kubectl({"get", "pods,pvc,mariadbs.k8s.mariadb.com", "-n", kNamespace})
                     .out +
                 node_->Kubectl({"get", "events", "-n", kNamespace}).out;
        });
    ASSERT_TRUE(ready.ok()) << ready.ToString();
    core::Status started = suite_->StartHasteward("hs-mariadb-node-", "mariadb-node-test");
    ASSERT_TRUE(started.ok()) << started.ToString();
    env_ = &suite_->env();
  }

  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
    node_ = nullptr;
    env_ = nullptr;
  }

  // mariadb-operator's own example (examples/manifests/mariadb_replication.yaml of the pinned
  // module) with what a machine without a registry or load balancer needs: the local image, no
  // metrics exporter (its image is not here), ClusterIP Services (no load balancer), 2 replicas.
  static json ExampleCluster() {
    return MariaDbOperatorExample(*node_, "mariadb_replication.yaml", kNamespace, kReplicas);
  }

  static CmdResult Kube(std::vector<std::string> args) { return KubeIn(*env_, std::move(args)); }

  // `hasteward --platform kubernetes <args> -e mariadb -c <cluster> -n <namespace>` in `env`.
  static CmdResult KubeIn(HastewardEnv& env, std::vector<std::string> args) {
    args.insert(args.begin(), {"--platform", "kubernetes"});
    args.insert(args.end(), {"-e", "mariadb", "-c", kCluster, "-n", kNamespace});
    return env.Run(args);
  }

  static std::string Primary() {
    auto mariadb = node_->Get("mariadbs.k8s.mariadb.com", kNamespace, kCluster);
    return mariadb.ok() ? mariadb->value("/status/currentPrimary"_json_pointer, std::string())
                        : std::string();
  }

  // The mariadb client as root in pod `pod` (exec through the API server and the kubelet).
  static CmdResult Sql(const std::string& pod, const std::string& sql) {
    return node_->Exec(
        kNamespace, pod, "mariadb",
        {"sh", "-c", "mariadb -uroot -p\"$MARIADB_ROOT_PASSWORD\" -N -B -e \"$1\"", "sql", sql});
  }

  static std::string ShopChecksums(const std::string& pod) {
    CmdResult r = Sql(pod, "CHECKSUM TABLE shop.orders, shop.items");
    return r.exit_code == 0 ? r.out : "error: " + r.err;
  }

  static void ExpectEveryInstanceHolds(const std::string& sums) {
    for (int n = 0; n < kReplicas; ++n) {
      const std::string pod = std::string(kCluster) + "-" + std::to_string(n);
      auto same =
          node_->WaitFor("instance " + pod + " to hold the expected rows",
                         std::chrono::seconds(180), [&] { return ShopChecksums(pod) == sums; });
      EXPECT_TRUE(same.ok()) << same.ToString() << ShopChecksums(pod);
    }
  }

  static KubeNodeSuite* suite_;
  static KubeNode* node_;     // suite_'s
  static HastewardEnv* env_;  // suite_'s

 public:
  // For the helpers below the fixture.
  static KubeNode* node() { return node_; }
  static CmdResult KubeCli(std::vector<std::string> args) { return Kube(std::move(args)); }
  static std::string PrimaryNow() { return Primary(); }
  static CmdResult SqlFor(const std::string& pod, const std::string& sql) { return Sql(pod, sql); }
};

KubeNodeSuite* MariadbNodeTest::suite_ = nullptr;
KubeNode* MariadbNodeTest::node_ = nullptr;
HastewardEnv* MariadbNodeTest::env_ = nullptr;

TEST_F(MariadbNodeTest, TriageFindsThePrimaryAndItsReplica) {
  CmdResult triage = Kube({"triage", "--json"});
  ASSERT_EQ(triage.exit_code, 0) << triage.out << triage.err;
  const json report = json::parse(LastLine(triage.out));
  EXPECT_EQ(report["verdict"], "healthy") << triage.out;
  ASSERT_EQ(report["instances"].size(), static_cast<size_t>(kReplicas)) << triage.out;
  int primaries = 0;
  for (const json& instance : report["instances"]) {
    primaries += instance["role"] == "primary" ? 1 : 0;
    if (instance["role"] == "primary") {
      EXPECT_EQ(instance["name"], Primary()) << triage.out;
    }
  }
  EXPECT_EQ(primaries, 1) << triage.out;
}

TEST_F(MariadbNodeTest, DumpBackupAndRestoreKeepTableChecksums) {
  const std::string primary = Primary();
  ASSERT_FALSE(primary.empty());
  CmdResult loaded =
      Sql(primary,
          "CREATE DATABASE shop; USE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, note "
          "VARCHAR(64)); CREATE TABLE shop.items (id INT PRIMARY KEY, name "
          "VARCHAR(64)); INSERT INTO shop.orders SELECT seq, md5(seq) FROM "
          "seq_1_to_5000; INSERT INTO shop.items SELECT seq, concat('item ', seq) "
          "FROM seq_1_to_300;");
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  const std::string before = ShopChecksums(primary);
  ASSERT_EQ(before.rfind("error", 0), std::string::npos) << before;
  ExpectEveryInstanceHolds(before);

  CmdResult backup = Kube({"backup", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  ASSERT_EQ(
      Sql(primary, "DELETE FROM shop.orders WHERE id > 100; DROP TABLE shop.items;").exit_code, 0);
  ASSERT_NE(ShopChecksums(primary), before) << "the damage must show";
  CmdResult restored = Kube({"restore", "--confirm-overwrite"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(ShopChecksums(primary), before);
  ExpectEveryInstanceHolds(before);
}

// What a switchover under a writer pod left: the CLI's result, the acknowledged ids and how many
// of them the primary lacks afterwards, and the role samples taken meanwhile.
struct UnderWriter {
  CmdResult switched;
  size_t acknowledged = 0;
  int lost = 0;
  int samples = 0;
  int two_writable = 0;
};

// Whether instance `n` takes writes now (read_only off), read through exec.
bool Writable(int n) {
  CmdResult r = MariadbNodeTest::SqlFor(std::string(kCluster) + "-" + std::to_string(n),
                                        "SELECT @@read_only");
  return r.exit_code == 0 && r.out.rfind('0', 0) == 0;
}

// A switchover to the other instance under a writer pod that commits through the operator's
// primary Service as `user` (password in the pod's env as PASSWORD) and logs each acknowledged
// id; afterwards the ids stored on the primary then are compared with the acknowledged ones.
UnderWriter SwitchOverUnderWriter(const std::string& user, const json& password_env) {
  UnderWriter out;
  const std::string old_primary = MariadbNodeTest::PrimaryNow();
  CmdResult image =
      MariadbNodeTest::node()->Kubectl({"get", "pod", old_primary, "-n", kNamespace, "-o",
                                        "jsonpath={.spec.containers[?(@.name=='mariadb')].image}"});
  EXPECT_EQ(image.exit_code, 0) << image.err;
  const std::string table = "shop.acks_" + user;
  EXPECT_EQ(MariadbNodeTest::SqlFor(old_primary,
                                    "CREATE TABLE IF NOT EXISTS " + table + " (id INT PRIMARY KEY)")
                .exit_code,
            0);
  auto writer = AckWriterPod::Start(
      *MariadbNodeTest::node(), kNamespace, "writer-" + user, image.out,
      std::string("mariadb -h ") + kCluster + "-primary -u" + user +
          " -p\"$PASSWORD\" --connect-timeout=3 -e \"INSERT INTO " + table + " VALUES ($i)\"",
      json::array({password_env}));
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  if (!writer.ok()) {
    return out;
  }
  EXPECT_TRUE(writer->WaitForMore(0, 20)) << "the writer made no progress before the switchover";
  // Two instances read one after the other are not one moment: a sample counts as two writable
  // only when the first instance is still writable after the second was read so (the readings
  // straddle no handover then).
  WritableSampler sampler([] {
    const bool first = Writable(0);
    const bool second = Writable(1);
    if (first && second) {
      return Writable(0) ? 2 : 1;
    }
    return first || second ? 1 : 0;
  });
  const std::string target = old_primary == std::string(kCluster) + "-0"
                                 ? std::string(kCluster) + "-1"
                                 : std::string(kCluster) + "-0";
  out.switched = MariadbNodeTest::KubeCli({"switchover", "--to", target, "--timeout", "120s"});
  const bool more = writer->WaitForMore(writer->Acknowledged().size(), 20);
  sampler.Stop();
  writer->Stop();
  EXPECT_TRUE(more) << "the writer made no progress after the switchover";
  const std::vector<int> ids = writer->Acknowledged();
  CmdResult stored = MariadbNodeTest::SqlFor(MariadbNodeTest::PrimaryNow(),
                                             "SELECT id FROM " + table + " ORDER BY id");
  EXPECT_EQ(stored.exit_code, 0) << stored.err;
  std::set<int> present;
  std::istringstream values(stored.out);
  for (int id = 0; values >> id;) {
    present.insert(id);
  }
  out.acknowledged = ids.size();
  out.lost = CountLost(ids, present);
  out.samples = sampler.samples();
  out.two_writable = sampler.two_writable();
  std::cout << "switchover under the writer as " << user << ": exit " << out.switched.exit_code
            << ", " << out.acknowledged << " acknowledged, " << out.lost << " lost, "
            << present.size() << " stored; " << out.samples << " samples of the roles, "
            << out.two_writable << " with two writable\n";
  return out;
}

// Issue 51, item 4, on the real operator: mariadb-operator mounts each instance's claim at the data
// directory itself (pkg/builder/container_builder.go: the storage volume's MountPath is
// MariadbStorageMountPath, "/var/lib/mysql"): the swap cannot rename it, and its parent is the
// container's own filesystem. A native backup streams from the pod (mariadb-backup through exec);
// its restore stages the tree inside the volume and swaps entry by entry (through the helper pod
// while the operator is suspended and the StatefulSet scaled away), then hands the cluster back:
// every instance holds the backup's checksums, the replaced data is kept inside the volume as
// "#sql-hasteward-replaced-<stamp>", which MariaDB lists as no database, and a dump backup
// afterwards works.
TEST_F(MariadbNodeTest, ANativeRestoreSwapsInsideTheVolumeAndKeepsTheReplacedData) {
  const std::string primary = Primary();
  const std::string before = ShopChecksums(primary);
  ASSERT_EQ(before.rfind("error", 0), std::string::npos) << before;
  CmdResult backup = Kube({"backup", "--method", "native", "--json"});
  const std::string id = SnapshotIdOf(backup);
  ASSERT_FALSE(id.empty()) << backup.out << backup.err;
  ASSERT_EQ(Sql(primary, "DELETE FROM shop.items WHERE id % 2 = 0").exit_code, 0);
  const std::string damaged = ShopChecksums(primary);
  ASSERT_NE(damaged, before) << "the damage must show";
  ExpectEveryInstanceHolds(damaged);

  CmdResult native = Kube({"restore", "--snapshot", id, "--yes", "--confirm-rewind"});
  ASSERT_EQ(native.exit_code, 0) << native.out << native.err;
  EXPECT_NE(native.err.find("is its volume's mount point"), std::string::npos) << native.err;
  ExpectEveryInstanceHolds(before);
  auto handed_back = node_->WaitFor(
      "the cluster handed back to the operator", std::chrono::seconds(300),
      [] { return MariaDbHandedBack(*node_, kNamespace, kCluster, kReplicas).empty(); },
      [] { return MariaDbHandedBack(*node_, kNamespace, kCluster, kReplicas); });
  EXPECT_TRUE(handed_back.ok()) << handed_back.ToString();
  const std::string restored = Primary();
  EXPECT_FALSE(Writable(restored == std::string(kCluster) + "-0" ? 1 : 0))
      << "the rebuilt replica takes writes";
  CmdResult kept = node_->Exec(kNamespace, restored, "mariadb",
                               {"sh", "-c", "cd /var/lib/mysql && ls -d '#sql-hasteward-'*/shop"});
  EXPECT_EQ(kept.exit_code, 0) << kept.out << kept.err;
  EXPECT_EQ(kept.out.rfind("#sql-hasteward-replaced-", 0), 0U) << kept.out;
  EXPECT_NE(native.err.find(kept.out.substr(0, kept.out.find("/shop"))), std::string::npos)
      << "the log names where the replaced data is kept: " << native.err;
  CmdResult databases = Sql(restored, "SHOW DATABASES");
  EXPECT_EQ(databases.exit_code, 0) << databases.err;
  EXPECT_EQ(databases.out.find("hasteward"), std::string::npos) << databases.out;
  CmdResult dump = Kube({"backup", "--json"});
  EXPECT_EQ(dump.exit_code, 0) << dump.out << dump.err;

  // Item 5's watch of what exec sees beside the mount path: the data directory is the volume's
  // mount point and its parent the container's own filesystem (another device). The emulated
  // pods (sandbox directories) keep both on one filesystem; their CI test bind-mounts the data
  // directory onto itself to have the mount point.
  CmdResult devices = node_->Exec(kNamespace, restored, "mariadb",
                                  {"stat", "-c", "%d", "/var/lib/mysql", "/var/lib"});
  ASSERT_EQ(devices.exit_code, 0) << devices.err;
  std::istringstream numbers(devices.out);
  std::string data_device;
  std::string parent_device;
  numbers >> data_device >> parent_device;
  ASSERT_FALSE(parent_device.empty()) << devices.out;
  EXPECT_NE(data_device, parent_device)
      << "the data directory is not a mount point: " << devices.out;
}

// Issue 51, item 4: the binlog point-in-time restore on the real operator. mariadb-operator sets
// read_only = 0 on a primary it reconciles without connected replicas (ConfigurePrimary in
// pkg/controller/replication/config.go, the role from internal/controller/
// mariadb_controller_status.go), and a replay must run on a read-only target: the restore holds
// the MariaDB suspended (which skips its replication phase, reconcileSuspend) with ordinal 0
// started alone until the replay reached the target, then hands it back. The binlogs are archived
// through the port-forward, the base swapped in inside the volume, the replay runs through the
// server's client connection (its relay logs cannot be written into the pod's data directory from
// here). Every instance holds exactly the rows at the target GTID; the replica is rebuilt and
// read-only, the primary writable.
TEST_F(MariadbNodeTest, ABinlogPointInTimeRestoreReplaysIntoTheHeldTarget) {
  const std::string primary = Primary();
  ASSERT_EQ(primary, std::string(kCluster) + "-0") << "a native restore targets ordinal 0";
  CmdResult backup = Kube({"backup", "--method", "native", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  ASSERT_EQ(Sql(primary, "DELETE FROM shop.items WHERE id % 5 = 0").exit_code, 0);
  const std::string at_target = ShopChecksums(primary);
  CmdResult position = Sql(primary, "SELECT @@gtid_binlog_pos");
  ASSERT_EQ(position.exit_code, 0) << position.err;
  const std::string target = position.out.substr(0, position.out.find('\n'));
  ASSERT_EQ(Sql(primary, "DELETE FROM shop.items WHERE id % 7 = 0").exit_code, 0);
  ASSERT_NE(ShopChecksums(primary), at_target) << "the write after the target must show";
  CmdResult archived = Kube({"archive", "binlog", "--json"});
  ASSERT_EQ(archived.exit_code, 0) << archived.out << archived.err;

  CmdResult restored = Kube({"restore", "--until-gtid", target, "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.err.find("stays suspended: a restore holds it"), std::string::npos)
      << restored.err;
  EXPECT_NE(restored.err.find("replayed the archived binlogs"), std::string::npos) << restored.err;
  const size_t replayed = restored.err.find("replayed the archived binlogs");
  std::cout << "binlog point-in-time restore to " << target << ": "
            << restored.err.substr(replayed, restored.err.find('\n', replayed) - replayed) << "\n";
  ExpectEveryInstanceHolds(at_target);
  auto handed_back = node_->WaitFor(
      "the cluster handed back to the operator", std::chrono::seconds(300),
      [] { return MariaDbHandedBack(*node_, kNamespace, kCluster, kReplicas).empty(); },
      [] { return MariaDbHandedBack(*node_, kNamespace, kCluster, kReplicas); });
  EXPECT_TRUE(handed_back.ok()) << handed_back.ToString();
  EXPECT_EQ(Primary(), std::string(kCluster) + "-0");
  EXPECT_FALSE(Writable(1)) << "the rebuilt replica takes writes";
  EXPECT_TRUE(Writable(0)) << "the restored primary was not opened for writes";
  // A write on the restored primary reaches the replica, and semi-sync, which fell back to async
  // while the replica was rebuilt, is on again once a write was acknowledged: triage healthy.
  ASSERT_EQ(Sql(Primary(), "DELETE FROM shop.items WHERE id % 11 = 0").exit_code, 0);
  ExpectEveryInstanceHolds(ShopChecksums(Primary()));
  CmdResult triage;
  auto healthy =
      node_->WaitFor("triage to find the cluster healthy", std::chrono::seconds(120), [&] {
        triage = Kube({"triage", "--json"});
        return triage.exit_code == 0;
      });
  EXPECT_TRUE(healthy.ok()) << healthy.ToString() << triage.out << triage.err;
}

// mariadb-operator 25.10.4's own switchover lets a commit of an account that bypasses read_only
// land on the old primary after it was last replicated (seen on this node: one acknowledged id
// kept on the old primary only, as GTID 0-10-1 after the operator reset its binary log). HASteward
// fences the old primary itself before asking (engine/mariadb/operator_handover.h), but it must
// leave root, the operator's own account, its READ ONLY ADMIN. A writer on root is therefore
// refused before the operator is asked: exit 24 at the fence's proof, naming root, the fence
// lifted, the primary unchanged, nothing lost.
TEST_F(MariadbNodeTest, ASwitchoverUnderAWriterOnTheOperatorsAccountIsRefused) {
  const std::string old_primary = Primary();
  const json env = {
      {"name", "PASSWORD"},
      {"valueFrom", {{"secretKeyRef", {{"name", "mariadb"}, {"key", "root-password"}}}}}};
  UnderWriter run = SwitchOverUnderWriter("root", env);
  EXPECT_EQ(run.switched.exit_code, 24) << run.switched.out << run.switched.err;
  EXPECT_NE(run.switched.err.find("'root'"), std::string::npos) << run.switched.err;
  EXPECT_EQ(Primary(), old_primary);
  EXPECT_EQ(run.lost, 0);
  EXPECT_EQ(run.two_writable, 0);
  EXPECT_TRUE(Writable(old_primary == std::string(kCluster) + "-0" ? 0 : 1))
      << "the fence was not lifted";
}

// The switchover through the operator (spec.replication.primary.podIndex, asked for and proven by
// HASteward) under an application account granted ALL PRIVILEGES (READ ONLY ADMIN included):
// HASteward takes the privilege and its sessions first, the candidate catches up exactly, and
// every acknowledged id is on the new primary, never two writable.
TEST_F(MariadbNodeTest, ASwitchoverThroughTheOperatorLosesNoAcknowledgedCommit) {
  const std::string old_primary = Primary();
  ASSERT_EQ(Sql(old_primary,
                "CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'App-Node-Test-1'; GRANT ALL "
                "PRIVILEGES ON *.* TO 'app'@'%'")
                .exit_code,
            0);
  const json env = {{"name", "PASSWORD"}, {"value", "App-Node-Test-1"}};
  UnderWriter run = SwitchOverUnderWriter("app", env);
  EXPECT_EQ(run.switched.exit_code, 0) << run.switched.out << run.switched.err;
  EXPECT_NE(run.switched.out.find("'app'@'%'"), std::string::npos) << run.switched.out;
  EXPECT_NE(Primary(), old_primary);
  EXPECT_EQ(run.lost, 0);
  EXPECT_GT(run.samples, 0);
  EXPECT_EQ(run.two_writable, 0);
}

// verify restores the snapshot into a scratch MariaDB on the CLI's host and checks every table
// (the shop's and the switchover writers' tables).
TEST_F(MariadbNodeTest, ABackupTakenThroughTheApiVerifies) {
  auto report = BackupAndVerify(Kube);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->value("verdict", ""), "ok") << report->dump();
  EXPECT_GE(TablesVerified(*report, "shop"), 4U)  // orders, items, acks_root, acks_app
      << report->dump();
  EXPECT_EQ(TablesVerified(*report), report->value("tables", json::array()).size())
      << report->dump();
}

// HASteward's CLI from a network namespace that reaches the API server and nothing else (no pod
// address routes from there, checked against the node's own namespace, from which it does):
// triage, a backup and its verify pass through port-forward and exec alone.
TEST_F(MariadbNodeTest, TheCliFromANamespaceThatReachesOnlyTheApiServerTriagesBacksUpAndVerifies) {
  auto kubeconfig = node_->HastewardKubeconfig(kNamespace);
  ASSERT_TRUE(kubeconfig.ok()) << kubeconfig.status().ToString();
  auto api_server = ApiServerOf(*kubeconfig);
  ASSERT_TRUE(api_server.ok()) << api_server.status().ToString();
  HastewardEnv cli("hs-mariadb-api-only-", "mariadb-node-test");
  const std::string work = cli.Path("api-only");
  std::filesystem::create_directories(work);
  auto api_only = ApiOnlyNamespace::Start(*node_, *api_server, work);
  ASSERT_TRUE(api_only.ok()) << api_only.status().ToString();
  auto relayed = (*api_only)->Relayed(*kubeconfig);
  ASSERT_TRUE(relayed.ok()) << relayed.status().ToString();
  cli.SetCommandPrefix((*api_only)->EnterPrefix());
  cli.Set("KUBECONFIG", *relayed);

  CmdResult pod_ip =
      node_->Kubectl({"get", "pod", Primary(), "-n", kNamespace, "-o", "jsonpath={.status.podIP}"});
  ASSERT_EQ(pod_ip.exit_code, 0) << pod_ip.err;
  std::vector<std::string> from_node = node_->EnterPrefix();
  from_node.insert(from_node.end(),
                   {"timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/" + pod_ip.out + "/3306"});
  ASSERT_EQ(RunCommand(from_node).exit_code, 0) << "the pod must answer where it is routed";
  EXPECT_FALSE((*api_only)->Reaches(pod_ip.out, 3306)) << "the pod is reachable from inside";

  ASSERT_EQ(cli.Run({"repo", "init"}).exit_code, 0);
  CmdResult triage = KubeIn(cli, {"triage", "--json"});
  ASSERT_EQ(triage.exit_code, 0) << triage.out << triage.err;
  EXPECT_EQ(json::parse(LastLine(triage.out))["verdict"], "healthy") << triage.out;
  auto report =
      BackupAndVerify([&](std::vector<std::string> args) { return KubeIn(cli, std::move(args)); });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->value("verdict", ""), "ok") << report->dump();
  EXPECT_GE(TablesVerified(*report, "shop"), 4U) << report->dump();
}

}  // namespace
}  // namespace hasteward::testing
