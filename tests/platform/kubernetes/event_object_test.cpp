#include "platform/kubernetes/event_object.h"

#include <gtest/gtest.h>

namespace hasteward::platform::kubernetes {
namespace {

TEST(EventObjectTest, ANamespacedObjectsEventCarriesItsNamespaceUidAndTheReporter) {
  auto event = KubeEventObject({"k8s.mariadb.com/v1alpha1", "MariaDB", "maria", "db", "9-z"}, "db",
                               {ClusterEventType::kWarning, "TriageSplitBrain", "two histories"},
                               "hasteward-1", 1795420388);
  EXPECT_EQ(event["involvedObject"], (nlohmann::json{{"apiVersion", "k8s.mariadb.com/v1alpha1"},
                                                     {"kind", "MariaDB"},
                                                     {"name", "maria"},
                                                     {"namespace", "db"},
                                                     {"uid", "9-z"}}));
  EXPECT_EQ(event["metadata"], (nlohmann::json{{"generateName", "maria."}, {"namespace", "db"}}));
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_EQ(event["reason"], "TriageSplitBrain");
  EXPECT_EQ(event["message"], "two histories");
  EXPECT_EQ(event["count"], 1);
  EXPECT_EQ(event["firstTimestamp"], "2026-11-23T07:53:08Z");
  EXPECT_EQ(event["lastTimestamp"], event["firstTimestamp"]);
  EXPECT_EQ(event["source"]["component"], "hasteward");
  EXPECT_EQ(event["reportingComponent"], "hasteward");
  EXPECT_EQ(event["reportingInstance"], "hasteward-1");
}

TEST(EventObjectTest, AClusterScopedObjectWithoutUidNamesNeither) {
  auto event = KubeEventObject({"v1", "Node", "n1", "", ""}, "default", {}, "", 0);
  EXPECT_FALSE(event["involvedObject"].contains("namespace"));
  EXPECT_FALSE(event["involvedObject"].contains("uid"));
  EXPECT_EQ(event["metadata"]["namespace"], "default");
  EXPECT_EQ(event["type"], "Normal");
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
