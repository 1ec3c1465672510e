// The real CloudNativePG on the real node (issue 51's end-to-end tier, tools/test-kubernetes.sh):
// the operator from its release manifest, built from its Go module, a Cluster of 3 instances made
// from the operator's own example (cluster-example) with the PostgreSQL 15 image built from
// Debian's packages, and HASteward's CLI with deploy/'s RBAC from inside the node's network (it
// reaches the databases through the API server's port-forward and exec, the kubelet and runc).
// Each test continues the cluster the one before left.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/kube_node.h"
#include "support/real_kube_api.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;

constexpr char kNamespace[] = "db";
constexpr char kCluster[] = "cluster-example";
constexpr int kInstances = 3;
constexpr char kImage[] = "localhost/cnpg-postgresql:15-deb12";

class CnpgNodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto node = KubeNode::Attach();
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    node_ = std::move(node).value().release();
    auto installed = node_->InstallOperator("cnpg");
    ASSERT_TRUE(installed.ok()) << installed.ToString();
    ASSERT_TRUE(node_->FreshNamespace(kNamespace).ok());
    ASSERT_TRUE(node_->Apply(ExampleCluster().dump()).ok());
    auto ready = node_->WaitFor(
        "3 ready instances of the CNPG example cluster", std::chrono::seconds(900),
        [] {
          auto cluster = node_->Get("clusters.postgresql.cnpg.io", kNamespace, kCluster);
          return cluster.ok() &&
                 cluster->value("/status/readyInstances"_json_pointer, 0) == kInstances;
        },
        [] {
          return node_->Kubectl({"get", "pods,pvc,clusters.postgresql.cnpg.io", "-n", kNamespace})
                     .out +
                 node_->Kubectl({"get", "events", "-n", kNamespace}).out;
        });
    ASSERT_TRUE(ready.ok()) << ready.ToString();
    env_ = new HastewardEnv("hs-cnpg-node-", "cnpg-node-test");
    env_->SetCommandPrefix(node_->EnterPrefix());
    auto kubeconfig = node_->HastewardKubeconfig(kNamespace);
    ASSERT_TRUE(kubeconfig.ok()) << kubeconfig.status().ToString();
    env_->Set("KUBECONFIG", *kubeconfig);
    ASSERT_EQ(env_->Run({"repo", "init"}).exit_code, 0);
  }

  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
    if (node_ != nullptr) {
      (void)node_->Kubectl({"delete", "namespace", kNamespace, "--wait=true", "--timeout=300s"});
    }
    delete node_;
    node_ = nullptr;
  }

  // CloudNativePG's own example (docs/src/samples/cluster-example.yaml of the pinned module), its
  // image the local one: the operator reads the major version from the tag.
  static json ExampleCluster() {
    auto manifests = RealKubeManifestsDir();
    EXPECT_TRUE(manifests.ok()) << manifests.status().ToString();
    CmdResult rendered = node_->Kubectl({"create", "--dry-run=client", "-o", "json", "-f",
                                         *manifests + "/examples/cnpg-cluster-example.yaml"});
    EXPECT_EQ(rendered.exit_code, 0) << rendered.err;
    json cluster = json::parse(rendered.out);
    cluster["metadata"]["namespace"] = kNamespace;
    cluster["spec"]["instances"] = kInstances;
    cluster["spec"]["imageName"] = kImage;
    return cluster;
  }

  static CmdResult Kube(std::vector<std::string> args) {
    args.insert(args.begin(), {"--platform", "kubernetes"});
    args.insert(args.end(), {"-e", "cnpg", "-c", kCluster, "-n", kNamespace});
    return env_->Run(args);
  }

  static std::string Primary() {
    auto cluster = node_->Get("clusters.postgresql.cnpg.io", kNamespace, kCluster);
    return cluster.ok() ? cluster->value("/status/currentPrimary"_json_pointer, std::string())
                        : std::string();
  }

  // psql as postgres in the instance pod `pod` (exec through the API server and the kubelet).
  static CmdResult Psql(const std::string& pod, const std::string& sql,
                        const std::string& database = "postgres") {
    return node_->Exec(
        kNamespace, pod, "postgres",
        {"psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql});
  }

  static std::string ShopChecksums(const std::string& pod) {
    CmdResult r = Psql(pod,
                       "SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o)"
                       " || ' ' || (SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM items i)",
                       "shop");
    return r.exit_code == 0 ? r.out : "error: " + r.err;
  }

  static KubeNode* node_;
  static HastewardEnv* env_;
};

KubeNode* CnpgNodeTest::node_ = nullptr;
HastewardEnv* CnpgNodeTest::env_ = nullptr;

// CloudNativePG's example grants no superuser access (spec.enableSuperuserAccess defaults to false
// since 1.21), so the operator makes no <cluster>-superuser Secret: the emulated operator always
// had one. HASteward says how to grant it; once granted, the operator makes the Secret.
TEST_F(CnpgNodeTest, WithoutSuperuserAccessTheCliSaysHowToGrantIt) {
  ASSERT_FALSE(node_->Get("secret", kNamespace, std::string(kCluster) + "-superuser").ok())
      << "the example was expected to grant no superuser access";
  CmdResult triage = Kube({"triage", "--json"});
  EXPECT_NE(triage.exit_code, 0) << triage.out;
  EXPECT_NE(triage.out.find("enableSuperuserAccess"), std::string::npos) << triage.out;

  CmdResult granted =
      node_->Kubectl({"patch", "clusters.postgresql.cnpg.io", kCluster, "-n", kNamespace,
                      "--type=merge", "-p", R"({"spec":{"enableSuperuserAccess":true}})"});
  ASSERT_EQ(granted.exit_code, 0) << granted.err;
  auto secret = node_->WaitFor("the operator's superuser Secret", std::chrono::seconds(120), [] {
    return node_->Get("secret", kNamespace, std::string(kCluster) + "-superuser").ok();
  });
  ASSERT_TRUE(secret.ok()) << secret.ToString();
}

TEST_F(CnpgNodeTest, TriageFindsThePrimaryAndTwoStreamingReplicas) {
  CmdResult triage = Kube({"triage", "--json"});
  ASSERT_EQ(triage.exit_code, 0) << triage.out << triage.err;
  json report = json::parse(LastLine(triage.out));
  EXPECT_EQ(report["verdict"], "healthy") << triage.out;
  ASSERT_EQ(report["instances"].size(), static_cast<size_t>(kInstances)) << triage.out;
  int primaries = 0;
  for (const json& instance : report["instances"]) {
    if (instance["role"] == "primary") {
      ++primaries;
      // pg_controldata ran in the pod: exec reached the instance's data directory.
      EXPECT_EQ(instance["facts"]["control_state"], "in production") << triage.out;
    } else {
      EXPECT_EQ(instance["facts"]["control_state"], "in archive recovery") << triage.out;
    }
  }
  EXPECT_EQ(primaries, 1) << triage.out;
}

TEST_F(CnpgNodeTest, DumpBackupAndRestoreKeepTableChecksums) {
  const std::string primary = Primary();
  ASSERT_FALSE(primary.empty());
  ASSERT_EQ(Psql(primary, "CREATE DATABASE shop").exit_code, 0);
  CmdResult loaded =
      Psql(primary,
           "CREATE TABLE orders (id int PRIMARY KEY, note text);"
           "INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 5000) g;"
           "CREATE TABLE items (id int PRIMARY KEY, name text);"
           "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 300) g;",
           "shop");
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  const std::string before = ShopChecksums(primary);
  ASSERT_EQ(before.rfind("error", 0), std::string::npos) << before;

  CmdResult backup = Kube({"backup", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;

  ASSERT_EQ(Psql(primary, "DELETE FROM orders WHERE id > 100; DROP TABLE items;", "shop").exit_code,
            0);
  ASSERT_NE(ShopChecksums(primary), before) << "the damage must show";
  CmdResult restored = Kube({"restore", "--confirm-overwrite"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(ShopChecksums(primary), before);
  // The replicas replay the restore: every instance holds the same rows.
  for (int ordinal = 1; ordinal <= kInstances; ++ordinal) {
    const std::string pod = std::string(kCluster) + "-" + std::to_string(ordinal);
    auto same =
        node_->WaitFor("instance " + pod + " to hold the restored rows", std::chrono::seconds(120),
                       [&] { return ShopChecksums(pod) == before; });
    EXPECT_TRUE(same.ok()) << same.ToString() << ShopChecksums(pod);
  }
}

}  // namespace
}  // namespace hasteward::testing
