// FakeKubeApi enforces RBAC rules loaded from YAML (the deploy/ manifests later): what a Role
// grants works, everything else is 403 Forbidden for the service account.
#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/pod_exec.h"
#include "support/command.h"
#include "support/fake_kube_api.h"

namespace hasteward::platform::kubernetes {
namespace {

constexpr char kRules[] = R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: db}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [get, create]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  resourceNames: [hasteward-leader]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: db}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: ServiceAccount, name: hasteward, namespace: hasteward}
)";

TEST(FakeKubeRbacTest, GrantsOnlyWhatTheRulesSay) {
  auto dir = core::TempDir::Create("fake-rbac-");
  ASSERT_TRUE(dir.ok());
  testing::FakeKubeApiOptions options;
  options.rbac_file = testing::WriteFile(dir->path() + "/rbac.yaml", kRules);
  auto api = testing::FakeKubeApi::Start(options);
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  (*api)->AddServiceAccountToken("sa-token", "hasteward", "hasteward");
  ASSERT_TRUE((*api)
                  ->CreateForTest({{"apiVersion", "v1"},
                                   {"kind", "Pod"},
                                   {"metadata", {{"name", "pg-1"}, {"namespace", "db"}}}})
                  .ok());
  auto config = LoadKubeconfig(*(*api)->WriteKubeconfig("sa-token"));
  ASSERT_TRUE(config.ok());
  KubeClient client(*config);

  EXPECT_TRUE(client.List(resources::kPods, "db").ok());
  EXPECT_TRUE(client.Get(resources::kPods, "db", "pg-1").ok());
  core::MemorySink out;
  EXPECT_TRUE(RunInPod(client, {"db", "pg-1", "", {"true"}, false}, nullptr, &out).ok());

  auto other_namespace = client.List(resources::kPods, "default");
  EXPECT_EQ(other_namespace.status().code(), core::ErrorCode::kAuthFailed);
  EXPECT_NE(other_namespace.status().message().find("forbidden"), std::string::npos);
  EXPECT_EQ(client.List(resources::kSecrets, "db").status().code(), core::ErrorCode::kAuthFailed);
  EXPECT_EQ(client.Delete(resources::kPods, "db", "pg-1").code(), core::ErrorCode::kAuthFailed);
  // resourceNames: only the named lease.
  EXPECT_EQ(client.Get(resources::kLeases, "db", "hasteward-leader").status().code(),
            core::ErrorCode::kNotFound)
      << "allowed, and absent";
  EXPECT_EQ(client.Get(resources::kLeases, "db", "other").status().code(),
            core::ErrorCode::kAuthFailed);
  EXPECT_EQ((*api)->GrantsUsedForTest(),
            (std::set<std::string>{"create pods/exec", "get coordination.k8s.io/leases", "get pods",
                                   "get pods/exec", "list pods"}));
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
