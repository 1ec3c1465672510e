// The status written onto a StandbyCluster resource: Ready first, then the standby's own conditions
// as the runner last saw them, and the discovery's positions and activation phase.
#include "operator/standby/standby_crd_status.h"

#include <gtest/gtest.h>

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace standby_crd_status_test {
namespace {

using nlohmann::json;

StandbyProgress Discovered() {
  StandbyProgress progress;
  progress.name = "shop-dr";
  progress.last_discovery = 1795000000;
  progress.conditions = {
      {dr::ConditionType::kBucketReadable, dr::ConditionStatus::kTrue, "Listed", "ok", 1794999000},
      {dr::ConditionType::kStale, dr::ConditionStatus::kFalse, "Fresh", "idle", 1794999500}};
  return progress;
}

json Report() {
  return {{"conditions", json::array()},
          {"discovered", {{"backups", 2}, {"newestBackup", {{"id", "ab12"}}}}},
          {"freshness", {{"state", "Idle"}}},
          {"cursor", {{"written", true}}},
          {"stateFile", "/var/lib/hasteward/standby-shop-dr.json"}};
}

TEST(StandbyCrdStatusTest, ReadyThenTheStandbysConditionsAndItsDiscovery) {
  const StandbyProgress progress = Discovered();
  json status = StandbyClusterStatus(3, {true, kReasonDiscovering, "every 300 s"},
                                     "2026-11-24T10:00:00Z", &progress, Report());
  EXPECT_EQ(status["observedGeneration"], 3);
  ASSERT_EQ(status["conditions"].size(), 3U) << status.dump();
  EXPECT_EQ(status["conditions"][0]["type"], "Ready");
  EXPECT_EQ(status["conditions"][0]["status"], "True");
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(status["conditions"][1]["type"], "BucketReadable");
  EXPECT_EQ(status["conditions"][1]["reason"], "Listed");
  EXPECT_EQ(status["conditions"][1]["lastTransitionTime"], "2026-11-18T10:50:00Z");
  EXPECT_EQ(status["conditions"][2]["type"], "Stale");
  EXPECT_EQ(status["conditions"][2]["status"], "False");
  EXPECT_EQ(status["lastDiscoveryTime"], "2026-11-18T11:06:40Z");
  EXPECT_EQ(status["discovered"]["newestBackup"]["id"], "ab12");
  EXPECT_EQ(status["freshness"]["state"], "Idle");
  EXPECT_TRUE(status["cursor"]["written"].get<bool>());
  EXPECT_EQ(status["activation"]["phase"], "None");
  EXPECT_FALSE(status.contains("stateFile"));  // the operator pod's path means nothing to a user
}

TEST(StandbyCrdStatusTest, ARefusedResourceCarriesOnlyReadyWithItsReason) {
  json status = StandbyClusterStatus(2, {false, "InvalidSpec", "bad engine"},
                                     "2026-11-24T10:00:00Z", nullptr, json());
  ASSERT_EQ(status["conditions"].size(), 1U) << status.dump();
  EXPECT_EQ(status["conditions"][0]["status"], "False");
  EXPECT_EQ(status["conditions"][0]["reason"], "InvalidSpec");
  EXPECT_EQ(status["conditions"][0]["message"], "bad engine");
  EXPECT_EQ(status["conditions"][0]["observedGeneration"], 2);
  EXPECT_FALSE(status.contains("discovered"));
  EXPECT_FALSE(status.contains("lastDiscoveryTime"));
}

TEST(StandbyCrdStatusTest, TheActivationRecordShowsItsPhase) {
  json report = Report();
  report["activation"] = {{"phase", "Activated"}, {"audit", {{"replayed", 12}}}};
  const StandbyProgress progress = Discovered();
  json status = StandbyClusterStatus(1, {true, kReasonDiscovering, ""}, "2026-11-24T10:00:00Z",
                                     &progress, report);
  EXPECT_EQ(status["activation"]["phase"], "Activated");
  EXPECT_EQ(status["activation"]["audit"]["replayed"], 12);
}

}  // namespace
}  // namespace standby_crd_status_test
}  // namespace hasteward::op
