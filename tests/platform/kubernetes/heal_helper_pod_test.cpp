// The helper pod of a scaled-away StatefulSet pod: built from the StatefulSet's own template (its
// server container's image and security context), mounting that pod's volume claim where the
// server mounts it, and carrying none of the cluster's pod labels (discovery must not list it).
#include "platform/kubernetes/heal_helper_pod.h"

#include <gtest/gtest.h>

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;

json MariaDbStatefulSet(const std::string& mount_path) {
  return {{"metadata", {{"name", "galera"}, {"namespace", "db"}}},
          {"spec",
           {{"replicas", 3},
            {"template",
             {{"metadata", {{"labels", {{"app.kubernetes.io/instance", "galera"}}}}},
              {"spec",
               {{"securityContext", {{"fsGroup", 999}}},
                {"containers",
                 {{{"name", "agent"}, {"image", "agent:1"}},
                  {{"name", "mariadb"},
                   {"image", "mariadb:10.11"},
                   {"securityContext", {{"runAsUser", 999}}},
                   {"volumeMounts",
                    {{{"name", "config"}, {"mountPath", "/etc/mysql/conf.d"}},
                     {{"name", "storage"}, {"mountPath", mount_path}}}}}}}}}}},
            {"volumeClaimTemplates", {{{"metadata", {{"name", "storage"}}}}}}}}};
}

TEST(HealHelperPodTest, MountsThePodsClaimWithTheServersImageAndIdentity) {
  auto manifest = HealHelperManifest(MariaDbStatefulSet("/var/lib/mysql"), "galera-1", "mariadb",
                                     "/var/lib/mysql");
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  const json& pod = *manifest;
  EXPECT_EQ(pod["metadata"]["name"], "galera-1-hasteward-heal");
  EXPECT_EQ(pod["metadata"]["namespace"], "db");
  EXPECT_EQ(pod["metadata"]["labels"][kHealHelperLabel], "galera-1");
  EXPECT_FALSE(pod["metadata"]["labels"].contains("app.kubernetes.io/instance"))
      << "discovery would list the helper as an instance";
  EXPECT_EQ(pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"], "storage-galera-1");
  const json& container = pod["spec"]["containers"][0];
  EXPECT_EQ(container["name"], kHealHelperContainer);
  EXPECT_EQ(container["image"], "mariadb:10.11");
  EXPECT_EQ(container["volumeMounts"][0]["mountPath"], "/var/lib/mysql");
  EXPECT_EQ(container["securityContext"]["runAsUser"], 999);
  EXPECT_EQ(pod["spec"]["securityContext"]["fsGroup"], 999);
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Never");
}

TEST(HealHelperPodTest, RefusesADataDirectoryOnNoVolumeClaim) {
  auto manifest =
      HealHelperManifest(MariaDbStatefulSet("/data"), "galera-1", "mariadb", "/var/lib/mysql");
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(manifest.status().hint().find("--platform local"), std::string::npos);
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
