#include "platform/kubernetes/cluster_events.h"

#include <gtest/gtest.h>

#include "platform/kubernetes/operator_discovery.h"

namespace hasteward::platform::kubernetes {
namespace {

Cluster Discovered(const std::string& owner) {
  Cluster cluster;
  cluster.ns = "db";
  cluster.name = "pg";
  cluster.options[kOperatorOption] = owner;
  cluster.options[kUidOption] = "1234-abcd";
  return cluster;
}

TEST(ClusterEventsTest, TheEventNamesTheCrItWasDiscoveredThrough) {
  auto event = EventObject(Discovered("cloudnative-pg"),
                           {ClusterEventType::kWarning, "BackupError", "backup failed: x"},
                           "hasteward-0", 1795420388);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ((*event)["involvedObject"], (nlohmann::json{{"apiVersion", "postgresql.cnpg.io/v1"},
                                                        {"kind", "Cluster"},
                                                        {"name", "pg"},
                                                        {"namespace", "db"},
                                                        {"uid", "1234-abcd"}}));
  EXPECT_EQ((*event)["type"], "Warning");
  EXPECT_EQ((*event)["reason"], "BackupError");
  EXPECT_EQ((*event)["metadata"]["generateName"], "pg.");
  EXPECT_EQ((*event)["lastTimestamp"], "2026-11-23T07:53:08Z");
  EXPECT_EQ((*event)["reportingInstance"], "hasteward-0");

  auto maria = EventObject(Discovered("mariadb-operator"), {}, "", 0);
  ASSERT_TRUE(maria.ok());
  EXPECT_EQ((*maria)["involvedObject"]["kind"], "MariaDB");
  EXPECT_EQ((*maria)["involvedObject"]["apiVersion"], "k8s.mariadb.com/v1alpha1");
  EXPECT_EQ((*maria)["type"], "Normal");
}

TEST(ClusterEventsTest, AClusterNotFoundThroughACrHasNothingToAttachTo) {
  Cluster plain;
  plain.name = "pg";
  auto event = EventObject(plain, {}, "", 0);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().code(), core::ErrorCode::kUsage);
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
