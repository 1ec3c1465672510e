// `hasteward --platform kubernetes` end to end, driving the real binary against a real
// kube-apiserver and etcd with deploy/ applied as users apply it, as the operator's
// ServiceAccount. A CloudNativePG Cluster and a mariadb-operator MariaDB are
// published from real sandbox clusters: each pod's exec runs in its sandbox instance (as its OS
// user, the image's data directory mapped to the instance's). The binary discovers them from the
// CRs, reads the superuser Secrets through the API, triages them (PostgreSQL reads pg_control
// through pod exec), and a backup + damage + restore round trip ends with equal per-table
// checksums.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/fake_kube_operators.h"
#include "support/kube_published_cluster.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;

struct KubeCase {
  platform::EngineKind engine;
  std::string engine_flag;  // -e
  std::string cluster;
};

std::string KubeCaseName(const ::testing::TestParamInfo<KubeCase>& param) {
  return param.param.engine_flag;
}

class KubernetesPlatformCliTest : public ::testing::TestWithParam<KubeCase> {
 protected:
  void SetUp() override {
    auto kube = KubePublishedCluster::Start(
        {.engine = GetParam().engine, .name = GetParam().cluster, .instances = 2});
    ASSERT_TRUE(kube.ok()) << kube.status().ToString();
    kube_ = std::move(kube).value();
    ASSERT_EQ(kube_->engine_flag(), GetParam().engine_flag);
  }

  CmdResult Kube(std::vector<std::string> args) const { return kube_->Kube(std::move(args)); }

  void Sql(const std::string& sql, const std::string& database = "") const {
    auto out = kube_->sandbox().Sql(0, sql, database);
    EXPECT_TRUE(out.ok()) << sql << ": " << out.status().ToString();
  }

  bool IsPostgres() const { return GetParam().engine == platform::EngineKind::kPostgres; }

  std::unique_ptr<KubePublishedCluster> kube_;
};

TEST_P(KubernetesPlatformCliTest, DiscoversAndTriagesTheClusterThroughTheApi) {
  auto status = kube_->env().Run({"--platform", "kubernetes", "get", "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto listed = json::parse(status.out);
  ASSERT_EQ(listed.size(), 1U) << status.out;
  EXPECT_EQ(listed[0]["cluster"], GetParam().cluster);
  EXPECT_EQ(listed[0]["namespace"], kPlatformNamespace);
  EXPECT_EQ(listed[0]["engine"], GetParam().engine_flag);
  EXPECT_EQ(listed[0]["triage"], "never");

  auto triage = Kube({"triage", "--json"});
  ASSERT_EQ(triage.exit_code, 0) << triage.out << triage.err;
  auto report = json::parse(triage.out);
  EXPECT_EQ(report["verdict"], "healthy") << triage.out;
  // From a kubeconfig the CLI reaches the databases through the API server's port-forward.
  EXPECT_GT(kube_->operator_api().AllowedOperatorRequests("pods/portforward"), 0)
      << "SQL sessions bypassed the API server";
  ASSERT_EQ(report["instances"].size(), 2U);
  if (GetParam().engine == platform::EngineKind::kGalera) {
    // Every Galera node takes writes: none is the primary.
    EXPECT_EQ(report["instances"][0]["role"], "galera-node") << triage.out;
    EXPECT_EQ(report["instances"][1]["role"], "galera-node") << triage.out;
  } else {
    EXPECT_EQ(report["instances"][0]["role"], "primary") << triage.out;
    EXPECT_NE(report["instances"][1]["role"], "primary") << triage.out;
  }
  if (IsPostgres()) {
    // Read by pg_controldata run in the pod: exec reached the instance's data directory.
    EXPECT_EQ(report["instances"][0]["facts"]["control_state"], "in production") << triage.out;
    EXPECT_EQ(report["instances"][1]["facts"]["control_state"], "in archive recovery");
    EXPECT_GT(kube_->operator_api().AllowedOperatorRequests("pods/exec"), 0);
  }
  auto after =
      json::parse(kube_->env().Run({"--platform", "kubernetes", "get", "status", "--json"}).out);
  EXPECT_EQ(after[0]["triage"], "healthy") << after.dump();
}

TEST_P(KubernetesPlatformCliTest, BackupAndRestoreRoundTripKeepsTableChecksums) {
  ASSERT_TRUE(kube_->LoadShopDataset().ok());
  auto before = kube_->ShopChecksums();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_FALSE(before->empty());

  auto backup = Kube({"backup", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  auto listed =
      json::parse(kube_->env().Run({"get", "backups", "-c", GetParam().cluster, "--json"}).out);
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0]["namespace"], kPlatformNamespace);

  Sql("DELETE FROM orders WHERE id > 100; DROP TABLE items;", "shop");
  auto damaged = kube_->ShopChecksums();
  ASSERT_TRUE(!damaged.ok() || *damaged != *before) << "the damage must show";
  auto restored = Kube({"restore", "--confirm-overwrite"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto after = kube_->ShopChecksums();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, *before);
  // The superuser password came from the Secret through the API, never onto argv or the logs.
  EXPECT_EQ(restored.err.find(kube_->sandbox().password()), std::string::npos);
  EXPECT_GT(kube_->operator_api().AllowedOperatorRequests("secrets"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Operators, KubernetesPlatformCliTest,
    ::testing::Values(KubeCase{platform::EngineKind::kPostgres, "cnpg", "pg"},
                      KubeCase{platform::EngineKind::kMariadb, "mariadb", "maria"},
                      KubeCase{platform::EngineKind::kGalera, "galera", "galera"}),
    KubeCaseName);

}  // namespace
}  // namespace hasteward::testing
