#include "operator/standby/standby_metrics.h"

#include <gtest/gtest.h>

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace standby_metrics_test {
namespace {

bool Has(const std::string& text, const std::string& sample) {
  return text.find(sample + "\n") != std::string::npos;
}

TEST(StandbyMetricsTest, RendersEachKnownConditionAndTheDiscovery) {
  StandbyProgress s;
  s.name = "shop-dr";
  s.last_discovery = 1700000000;
  s.last_duration_seconds = 0.25;
  s.discoveries = 3;
  s.abandoned = 1;
  s.cursor_written = true;
  s.backlog_segments = 2;
  s.evidence_age_seconds = 40;
  s.conditions = {
      {dr::ConditionType::kBucketReadable, dr::ConditionStatus::kTrue, "Opened", "", 0},
      {dr::ConditionType::kRestorable, dr::ConditionStatus::kFalse, "NoVerified", "", 0},
      {dr::ConditionType::kFresh, dr::ConditionStatus::kUnknown, "NoBackups", "", 0}};
  const std::string text = RenderStandbyMetrics({s});
  const std::string l = "{standby=\"shop-dr\"";
  EXPECT_TRUE(Has(text, "hasteward_standby_condition" + l + ",condition=\"BucketReadable\"} 1"))
      << text;
  EXPECT_TRUE(Has(text, "hasteward_standby_condition" + l + ",condition=\"Restorable\"} 0"));
  EXPECT_EQ(text.find("condition=\"Fresh\""), std::string::npos);  // Unknown: no sample
  EXPECT_TRUE(Has(text, "hasteward_standby_suspended" + l + "} 0"));
  EXPECT_TRUE(Has(text, "hasteward_standby_last_discovery_timestamp_seconds" + l + "} 1700000000"));
  EXPECT_TRUE(Has(text, "hasteward_standby_discovery_duration_seconds" + l + "} 0.25"));
  EXPECT_TRUE(Has(text, "hasteward_standby_discoveries_total" + l + "} 3"));
  EXPECT_TRUE(Has(text, "hasteward_standby_discoveries_abandoned_total" + l + "} 1"));
  EXPECT_TRUE(Has(text, "hasteward_standby_cursor_written" + l + "} 1"));
  EXPECT_TRUE(Has(text, "hasteward_standby_archive_backlog_segments" + l + "} 2"));
  EXPECT_TRUE(Has(text, "hasteward_standby_evidence_age_seconds" + l + "} 40"));
  EXPECT_NE(text.find("# TYPE hasteward_standby_condition gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE hasteward_standby_discoveries_total counter\n"), std::string::npos);
}

TEST(StandbyMetricsTest, ASuspendedOrUndiscoveredStandbyShowsNoValues) {
  StandbyProgress off;
  off.name = "off";
  off.suspended = true;
  StandbyProgress fresh;
  fresh.name = "new\"one";
  const std::string text = RenderStandbyMetrics({off, fresh});
  EXPECT_TRUE(Has(text, "hasteward_standby_suspended{standby=\"off\"} 1")) << text;
  EXPECT_EQ(text.find("hasteward_standby_discoveries_total{standby=\"off\"}"), std::string::npos);
  EXPECT_TRUE(Has(text, "hasteward_standby_discoveries_total{standby=\"new\\\"one\"} 0"));
  EXPECT_EQ(text.find("hasteward_standby_last_discovery_timestamp_seconds{"), std::string::npos);
  EXPECT_EQ(text.find("hasteward_standby_cursor_written{"), std::string::npos);
  EXPECT_EQ(text.find("hasteward_standby_archive_backlog_segments{"), std::string::npos);
}

TEST(StandbyMetricsTest, RendersTheLastVerificationAndHowManyRan) {
  StandbyProgress s;
  s.name = "shop-dr";
  s.verifications = 2;
  s.verification =
      dr::VerificationRecord{"abc", "", dr::VerificationResult::kFailed, "bad", 1700000100, 3};
  std::string text = RenderStandbyMetrics({s});
  const std::string l = "{standby=\"shop-dr\"}";
  EXPECT_TRUE(Has(text, "hasteward_standby_verification_passed" + l + " 0")) << text;
  EXPECT_TRUE(
      Has(text, "hasteward_standby_last_verification_timestamp_seconds" + l + " 1700000100"));
  EXPECT_TRUE(Has(text, "hasteward_standby_verifications_total" + l + " 2"));
  s.verification->result = dr::VerificationResult::kPassed;
  EXPECT_TRUE(Has(RenderStandbyMetrics({s}), "hasteward_standby_verification_passed" + l + " 1"));
  s.verification.reset();  // never verified: no result, never a 0 that reads as "failed"
  text = RenderStandbyMetrics({s});
  EXPECT_EQ(text.find("hasteward_standby_verification_passed{"), std::string::npos);
  EXPECT_EQ(text.find("hasteward_standby_last_verification_timestamp_seconds{"), std::string::npos);
}

}  // namespace
}  // namespace standby_metrics_test
}  // namespace hasteward::op
