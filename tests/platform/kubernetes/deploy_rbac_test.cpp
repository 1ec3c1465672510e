// The RBAC of deploy/ (rendered by the real kubectl) loaded into FakeKubeApi through
// WriteDeployRbacFile: the operator's ServiceAccount gets what the manifests grant and nothing
// else.
#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "platform/kubernetes/kube_client.h"
#include "support/deploy_manifests.h"
#include "support/fake_kube_api.h"

namespace hasteward::platform::kubernetes {
namespace {

TEST(DeployRbacTest, TheOperatorAccountGetsExactlyWhatDeployGrants) {
  auto dir = core::TempDir::Create("deploy-rbac-");
  ASSERT_TRUE(dir.ok());
  auto rbac_file = testing::WriteDeployRbacFile(dir->path() + "/rbac.yaml", {"db"});
  ASSERT_TRUE(rbac_file.ok()) << rbac_file.status().ToString();
  testing::FakeKubeApiOptions options;
  options.rbac_file = *rbac_file;
  auto api = testing::FakeKubeApi::Start(options);
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  (*api)->AddServiceAccountToken("sa-token", testing::kDeployNamespace,
                                 testing::kDeployServiceAccount);
  for (const char* ns : {"db", "other"}) {
    ASSERT_TRUE((*api)
                    ->CreateForTest({{"apiVersion", "v1"},
                                     {"kind", "Secret"},
                                     {"metadata", {{"name", "pg-superuser"}, {"namespace", ns}}}})
                    .ok());
  }
  auto config = LoadKubeconfig(*(*api)->WriteKubeconfig("sa-token"));
  ASSERT_TRUE(config.ok());
  KubeClient client(*config);

  // ClusterRole hasteward-operator: pods read in any namespace, never deleted.
  EXPECT_TRUE(client.List(resources::kPods, "db").ok());
  EXPECT_TRUE(client.List(resources::kPods, "other").ok());
  EXPECT_EQ(client.Delete(resources::kPods, "db", "pg-1").code(), core::ErrorCode::kAuthFailed);
  EXPECT_TRUE(client.List(resources::kPersistentVolumeClaims, "db").ok());
  EXPECT_TRUE(client.List(resources::kCnpgClusters, "db").ok());
  EXPECT_TRUE(client.List(resources::kMariaDbs, "db").ok());
  EXPECT_EQ(client.List(resources::kStatefulSets, "db").status().code(),
            core::ErrorCode::kAuthFailed)
      << "statefulsets: get only";
  // Secrets: get, only in the namespaces bound by a RoleBinding; never list.
  EXPECT_TRUE(client.Get(resources::kSecrets, "db", "pg-superuser").ok());
  EXPECT_EQ(client.Get(resources::kSecrets, "other", "pg-superuser").status().code(),
            core::ErrorCode::kAuthFailed);
  EXPECT_EQ(client.List(resources::kSecrets, "db").status().code(), core::ErrorCode::kAuthFailed);
  // The leader Lease: by name, in the operator's namespace only.
  EXPECT_EQ(client.Get(resources::kLeases, testing::kDeployNamespace, testing::kDeployLeaseName)
                .status()
                .code(),
            core::ErrorCode::kNotFound)
      << "allowed, and absent";
  EXPECT_EQ(client.Get(resources::kLeases, testing::kDeployNamespace, "other").status().code(),
            core::ErrorCode::kAuthFailed);
  EXPECT_EQ(client.Get(resources::kLeases, "db", testing::kDeployLeaseName).status().code(),
            core::ErrorCode::kAuthFailed);
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
