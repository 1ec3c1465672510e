#include "operator/runtime/metrics.h"

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
TEST(MetricsTest, RendersTheLastSwitchoverOfEachCluster) {
  jobs::SwitchoverRecord done;
  done.ns = "shop";
  done.cluster = "db";
  done.engine = "mariadb";
  done.kind = "switchover";
  done.finished_at = 1750000200;
  done.duration_seconds = 0.75;
  done.ok = true;
  done.old_primary = "db-0";
  done.new_primary = "db-1";
  jobs::SwitchoverRecord aborted;
  aborted.ns = "shop";
  aborted.cluster = "pg";
  aborted.engine = "cnpg";
  aborted.kind = "failover";
  aborted.finished_at = 1750000300;
  aborted.duration_seconds = 30.5;
  aborted.failed_step = "catch-up";
  aborted.old_primary = "pg-1";
  MetricsContext ctx;
  ctx.switchovers = {done, aborted};
  std::string text = RenderMetrics({}, ServeState{}, ctx);
  const std::string db =
      "{cluster=\"db\",namespace=\"shop\",engine=\"mariadb\",kind=\"switchover\"";
  const std::string pg = "{cluster=\"pg\",namespace=\"shop\",engine=\"cnpg\",kind=\"failover\"";
  for (const std::string& line :
       {std::string("# TYPE hasteward_switchover_last_duration_seconds gauge\n"),
        "hasteward_switchover_last_duration_seconds" + db + "} 0.75\n",
        "hasteward_switchover_last_duration_seconds" + pg + "} 30.5\n",
        "hasteward_switchover_last_success" + db + "} 1\n",
        "hasteward_switchover_last_success" + pg + "} 0\n",
        "hasteward_switchover_last_timestamp_seconds" + pg + "} 1750000300\n",
        "hasteward_switchover_last_info" + db +
            ",failed_step=\"\",old_primary=\"db-0\",new_primary=\"db-1\"} 1\n",
        "hasteward_switchover_last_info" + pg +
            ",failed_step=\"catch-up\",old_primary=\"pg-1\",new_primary=\"\"} 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST(MetricsTest, NoSwitchoverRecordsRendersTheFamiliesWithoutSamples) {
  std::string text = RenderMetrics({}, ServeState{}, MetricsContext{});
  EXPECT_NE(text.find("# TYPE hasteward_switchover_last_success gauge\n"), std::string::npos);
  EXPECT_EQ(text.find("hasteward_switchover_last_success{"), std::string::npos) << text;
}

}  // namespace hasteward::op
