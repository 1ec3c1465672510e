// `hasteward --platform kubernetes` end to end, driving the real binary against FakeKubeApi (our
// test API server, checked against the real clients in fake_kube_api_fidelity_test.cpp) with the
// RBAC of deploy/ rendered by kubectl. A CloudNativePG Cluster and a mariadb-operator MariaDB are
// published from real sandbox clusters: each pod's exec runs in its sandbox instance (as its OS
// user, the image's data directory mapped to the instance's). The binary discovers them from the
// CRs, reads the superuser Secrets through the API, triages them (PostgreSQL reads pg_control
// through pod exec), and a backup + damage + restore round trip ends with equal per-table
// checksums.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/deploy_manifests.h"
#include "support/fake_kube_api.h"
#include "support/fake_kube_operators.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;

constexpr char kToken[] = "hasteward-operator-token";

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
    auto sandbox = SandboxCluster::Create(
        {.engine = GetParam().engine, .instances = 2, .name = GetParam().cluster, .ns = "local"});
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    sandbox_ = std::move(sandbox).value();
    auto rbac = WriteDeployRbacFile(hs_.Path("rbac.yaml"), {kPlatformNamespace});
    ASSERT_TRUE(rbac.ok()) << rbac.status().ToString();
    FakeKubeApiOptions options;
    options.rbac_file = *rbac;
    auto api = FakeKubeApi::Start(options);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(api).value();
    api_->AddServiceAccountToken(kToken, kDeployNamespace, kDeployServiceAccount);
    core::Status published = GetParam().engine == platform::EngineKind::kPostgres
                                 ? PublishSandboxAsCnpg(*api_, *sandbox_, kPlatformNamespace)
                                 : PublishSandboxAsMariaDb(*api_, *sandbox_, kPlatformNamespace);
    ASSERT_TRUE(published.ok()) << published.ToString();
    auto kubeconfig = api_->WriteKubeconfig(kToken, kPlatformNamespace);
    ASSERT_TRUE(kubeconfig.ok()) << kubeconfig.status().ToString();
    hs_.Set("KUBECONFIG", *kubeconfig);
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  }

  // `hasteward --platform kubernetes <args> -e E -c C -n db`.
  CmdResult Kube(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--platform", "kubernetes"});
    for (const std::string& extra :
         {std::string("-e"), GetParam().engine_flag, std::string("-c"), GetParam().cluster,
          std::string("-n"), std::string(kPlatformNamespace)}) {
      args.push_back(extra);
    }
    return hs_.Run(args);
  }

  std::string Sql(const std::string& sql, const std::string& database = "") const {
    auto out = sandbox_->Sql(0, sql, database);
    EXPECT_TRUE(out.ok()) << sql << ": " << out.status().ToString();
    return out.ok() ? *out : "";
  }

  bool IsPostgres() const { return GetParam().engine == platform::EngineKind::kPostgres; }

  void LoadDataset() {
    Sql("CREATE DATABASE shop");
    Sql("CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(40), total DECIMAL(10,2));"
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40));" +
            std::string(IsPostgres()
                            ? "INSERT INTO orders SELECT g, 'c' || (g % 97), g * 1.25 FROM "
                              "generate_series(1, 5000) g;"
                              "INSERT INTO items SELECT g, 'item-' || g FROM generate_series(1, "
                              "300) g;"
                            : "INSERT INTO orders SELECT seq, CONCAT('c', seq % 97), seq * 1.25 "
                              "FROM seq_1_to_5000;"
                              "INSERT INTO items SELECT seq, CONCAT('item-', seq) FROM "
                              "seq_1_to_300;"),
        "shop");
  }

  // Per-table checksums: md5 over ordered rows (PostgreSQL), CHECKSUM TABLE (MariaDB).
  core::Result<std::string> Checksums() const {
    if (IsPostgres()) {
      return sandbox_->Sql(
          0,
          "SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o) || ' ' ||"
          " (SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM items i)",
          "shop");
    }
    return sandbox_->Sql(0, "CHECKSUM TABLE shop.orders, shop.items");
  }

  HastewardEnv hs_{"hs-kube-", "kube-test"};
  std::unique_ptr<SandboxCluster> sandbox_;
  std::unique_ptr<FakeKubeApi> api_;
};

TEST_P(KubernetesPlatformCliTest, DiscoversAndTriagesTheClusterThroughTheApi) {
  auto status = hs_.Run({"--platform", "kubernetes", "get", "status", "--json"});
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
  ASSERT_EQ(report["instances"].size(), 2U);
  EXPECT_EQ(report["instances"][0]["role"], "primary") << triage.out;
  EXPECT_NE(report["instances"][1]["role"], "primary") << triage.out;
  if (IsPostgres()) {
    // Read by pg_controldata run in the pod: exec reached the instance's data directory.
    EXPECT_EQ(report["instances"][0]["facts"]["control_state"], "in production") << triage.out;
    EXPECT_EQ(report["instances"][1]["facts"]["control_state"], "in archive recovery");
    EXPECT_EQ(api_->GrantsUsedForTest().count("create pods/exec"), 1U);
  }
  auto after = json::parse(hs_.Run({"--platform", "kubernetes", "get", "status", "--json"}).out);
  EXPECT_EQ(after[0]["triage"], "healthy") << after.dump();
}

TEST_P(KubernetesPlatformCliTest, BackupAndRestoreRoundTripKeepsTableChecksums) {
  LoadDataset();
  auto before = Checksums();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_FALSE(before->empty());

  auto backup = Kube({"backup", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  auto listed = json::parse(hs_.Run({"get", "backups", "-c", GetParam().cluster, "--json"}).out);
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0]["namespace"], kPlatformNamespace);

  Sql("DELETE FROM orders WHERE id > 100; DROP TABLE items;", "shop");
  auto damaged = Checksums();
  ASSERT_TRUE(!damaged.ok() || *damaged != *before) << "the damage must show";
  auto restored = Kube({"restore", "--confirm-overwrite"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto after = Checksums();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, *before);
  // The superuser password came from the Secret through the API, never onto argv or the logs.
  EXPECT_EQ(restored.err.find(sandbox_->password()), std::string::npos);
  EXPECT_EQ(api_->GrantsUsedForTest().count("get secrets"), 1U);
}

INSTANTIATE_TEST_SUITE_P(Operators, KubernetesPlatformCliTest,
                         ::testing::Values(KubeCase{platform::EngineKind::kPostgres, "cnpg", "pg"},
                                           KubeCase{platform::EngineKind::kMariadb, "mariadb",
                                                    "maria"}),
                         KubeCaseName);

}  // namespace
}  // namespace hasteward::testing
