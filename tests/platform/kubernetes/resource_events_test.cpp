#include "platform/kubernetes/resource_events.h"

#include <gtest/gtest.h>

namespace hasteward::platform::kubernetes {
namespace {

TEST(ResourceEventsTest, TheEventNamesTheClusterScopedResourceAndLivesInDefault) {
  auto event = OperatorResourceEventObject(
      {OperatorResourceKind::kBackupRepository, "main", "5678-efgh"},
      {ClusterEventType::kWarning, "InvalidSpec", "spec.restic.repository is missing"},
      "hasteward-0", 1795420388);
  EXPECT_EQ(event["involvedObject"],
            (nlohmann::json{{"apiVersion", "clinic.hasteward.prplanit.com/v1alpha1"},
                            {"kind", "BackupRepository"},
                            {"name", "main"},
                            {"uid", "5678-efgh"}}));
  EXPECT_EQ(event["metadata"]["namespace"], "default");
  EXPECT_EQ(event["metadata"]["generateName"], "main.");
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_EQ(event["reason"], "InvalidSpec");
  EXPECT_EQ(event["lastTimestamp"], "2026-11-23T07:53:08Z");
  EXPECT_EQ(event["reportingInstance"], "hasteward-0");

  auto policy =
      OperatorResourceEventObject({OperatorResourceKind::kBackupPolicy, "nightly", ""}, {}, "", 0);
  EXPECT_EQ(policy["involvedObject"]["kind"], "BackupPolicy");
  EXPECT_FALSE(policy["involvedObject"].contains("uid"));
  EXPECT_EQ(policy["type"], "Normal");
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
