#include "operator/metrics.h"

#include <gtest/gtest.h>

namespace hasteward::op {
namespace {

ManagedCluster Cluster() {
  ManagedCluster c;
  c.ns = "shop";
  c.name = "pg";
  return c;
}

TEST(MetricsTest, RendersBackupVerificationTriageAndErrors) {
  ServeState s;
  JobRecord b;
  b.ok = true;
  b.last_success = 1750000000;
  b.size_bytes = 12345;
  b.duration_seconds = 1.5;
  s.jobs[JobKey("shop/pg", JobKind::kBackup)] = b;
  JobRecord v;
  v.ok = false;
  v.outcome = "failed";
  v.last_success = 1750000100;
  s.jobs[JobKey("shop/pg", JobKind::kVerify)] = v;
  JobRecord t;
  t.outcome = "degraded";
  s.jobs[JobKey("shop/pg", JobKind::kTriage)] = t;
  s.job_errors["backup"] = 2;
  MetricsContext ctx;
  ctx.engines["shop/pg"] = "cnpg";
  std::string text = RenderMetrics({Cluster()}, s, ctx);
  const std::string labels = "{cluster=\"pg\",namespace=\"shop\",engine=\"cnpg\"}";
  EXPECT_NE(text.find("hasteward_last_backup_timestamp_seconds" + labels + " 1750000000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hasteward_last_backup_size_bytes" + labels + " 12345\n"), std::string::npos);
  EXPECT_NE(text.find("hasteward_last_backup_duration_seconds" + labels + " 1.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("hasteward_backup_success" + labels + " 1\n"), std::string::npos);
  EXPECT_NE(text.find("hasteward_verification_success" + labels + " 0\n"), std::string::npos);
  EXPECT_NE(text.find("hasteward_triage_state{cluster=\"pg\",namespace=\"shop\",engine=\"cnpg\","
                      "state=\"degraded\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("hasteward_job_errors_total{job=\"backup\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE hasteward_job_errors_total counter\n"), std::string::npos);
}

TEST(MetricsTest, NeverRunJobsHaveNoSample) {
  std::string text = RenderMetrics({Cluster()}, ServeState{}, MetricsContext{});
  EXPECT_EQ(text.find("hasteward_backup_success{"), std::string::npos);
  EXPECT_NE(text.find("state=\"unknown\"} 1"), std::string::npos);
}

TEST(MetricsTest, RepairsAreCountedByClusterAndResult) {
  ServeState s;
  s.repairs["shop/pg"] = {{"healed", 2}, {"refused", 1}};
  MetricsContext ctx;
  ctx.engines["shop/pg"] = "cnpg";
  std::string text = RenderMetrics({Cluster()}, s, ctx);
  const std::string labels = "{cluster=\"pg\",namespace=\"shop\",engine=\"cnpg\",result=";
  EXPECT_NE(text.find("hasteward_repairs_total" + labels + "\"healed\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("hasteward_repairs_total" + labels + "\"refused\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("hasteward_repairs_total" + labels + "\"failed\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("hasteward_job_errors_total{job=\"repair\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("hasteward_capability_available{capability=\"repair\"} 1\n"),
            std::string::npos);
}

TEST(MetricsTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace hasteward::op
