// CloudNativePG's fencing annotation: parsed as `kubectl cnpg fencing` writes it, and changed by a
// read-modify-patch that keeps the other fenced pods and refuses to lift a cluster-wide fence for
// one pod.
#include "platform/kubernetes/cnpg_fencing.h"

#include <gtest/gtest.h>

#include "support/real_kube_admin_test.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;

json ClusterWith(const std::string& annotation) {
  json cr = {{"metadata", {{"name", "pg"}, {"namespace", "db"}}}};
  if (!annotation.empty()) {
    cr["metadata"]["annotations"][kCnpgFencingAnnotation] = annotation;
  }
  return cr;
}

TEST(CnpgFencingTest, ParsesTheAnnotationAsKubectlCnpgWritesIt) {
  EXPECT_TRUE(FencedInstances(ClusterWith(""))->empty());
  EXPECT_EQ(*FencedInstances(ClusterWith(R"(["pg-1","pg-3"])")),
            (std::set<std::string>{"pg-1", "pg-3"}));
  auto all = FencedInstances(ClusterWith(R"(["*"])"));
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(CoversPod(*all, "pg-2"));
  EXPECT_FALSE(CoversPod(*FencedInstances(ClusterWith(R"(["pg-1"])")), "pg-2"));
  for (const char* bad : {"pg-1", "{\"pg-1\":true}", "[1]"}) {
    EXPECT_EQ(FencedInstances(ClusterWith(bad)).status().code(), core::ErrorCode::kUsage) << bad;
  }
}

// Against a real kube-apiserver serving CloudNativePG's own CRD: the patches are the server's
// merge semantics and the schema's.
class CnpgFencingPatchTest : public hasteward::testing::RealKubeAdminTest {};

TEST_F(CnpgFencingPatchTest, SetFencedKeepsOtherPodsAndNeverLiftsAClusterWideFence) {
  ASSERT_NO_FATAL_FAILURE(StartApi({"db"}));
  ASSERT_NO_FATAL_FAILURE(ServeCnpgClusters());
  json cr = ClusterWith(R"(["pg-3"])");
  cr["apiVersion"] = "postgresql.cnpg.io/v1";
  cr["kind"] = "Cluster";
  cr["spec"] = {{"instances", 3}};
  ASSERT_TRUE(client_->Create(resources::kCnpgClusters, "db", cr).ok());
  KubeClient& client = *client_;
  auto fenced = [&] {
    return *FencedInstances(*client.Get(resources::kCnpgClusters, "db", "pg"));
  };

  ASSERT_TRUE(SetFenced(client, "db", "pg", "pg-1", true).ok());
  EXPECT_EQ(fenced(), (std::set<std::string>{"pg-1", "pg-3"}));
  ASSERT_TRUE(SetFenced(client, "db", "pg", "pg-1", true).ok()) << "idempotent";
  ASSERT_TRUE(SetFenced(client, "db", "pg", "pg-1", false).ok());
  ASSERT_TRUE(SetFenced(client, "db", "pg", "pg-3", false).ok());
  EXPECT_TRUE(fenced().empty());
  EXPECT_FALSE(
      (*client.Get(resources::kCnpgClusters, "db", "pg"))["metadata"]["annotations"].contains(
          kCnpgFencingAnnotation));

  ASSERT_TRUE(client
                  .Patch(resources::kCnpgClusters, "db", "pg", PatchType::kMerge,
                         {{"metadata", {{"annotations", {{kCnpgFencingAnnotation, "[\"*\"]"}}}}}})
                  .ok());
  EXPECT_EQ(SetFenced(client, "db", "pg", "pg-1", false).code(), core::ErrorCode::kUsage);
  EXPECT_EQ(fenced(), (std::set<std::string>{"*"}));
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
