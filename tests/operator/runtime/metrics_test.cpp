#include "operator/runtime/metrics.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace metrics_test {
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

TEST(MetricsTest, EveryScheduledJobHasAScheduleStartFromTheFirstMoment) {
  // The backup-age alert counts from this series until the first backup succeeds: without it a
  // cluster whose first backup never happens would have no series to alert on.
  ManagedCluster c = Cluster();
  c.backup_schedule = "0 2 * * *";
  c.triage_schedule = "*/5 * * * *";
  MetricsContext ctx;
  ctx.engines["shop/pg"] = "cnpg";
  ctx.schedule_starts["shop/pg"] = 1750000000;
  std::string text = RenderMetrics({c}, ServeState{}, ctx);
  const std::string labels = "{cluster=\"pg\",namespace=\"shop\",engine=\"cnpg\",schedule=";
  EXPECT_NE(text.find("hasteward_schedule_start_timestamp_seconds" + labels + "\"backup\"} " +
                      "1750000000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hasteward_schedule_start_timestamp_seconds" + labels + "\"triage\"} " +
                      "1750000000\n"),
            std::string::npos);
  EXPECT_EQ(text.find(labels + "\"verify\"}"), std::string::npos) << "no verifySchedule";
}

TEST(MetricsTest, ATriageThatEndedInAnErrorIsNotAvailableAndOneAbortedIsUnknown) {
  // Exactly one state is 1 for every cluster: a triage that keeps failing must show, not leave
  // every state at 0 where no alert sees it.
  MetricsContext ctx;
  ctx.engines["shop/pg"] = "cnpg";
  const std::string prefix =
      "hasteward_triage_state{cluster=\"pg\",namespace=\"shop\",engine=\"cnpg\",state=";
  for (const auto& [outcome, state] : std::vector<std::pair<std::string, std::string>>{
           {"error", "not-available"}, {"aborted", "unknown"}, {"split-brain", "split-brain"}}) {
    ServeState s;
    JobRecord t;
    t.outcome = outcome;
    s.jobs[JobKey("shop/pg", JobKind::kTriage)] = t;
    std::string text = RenderMetrics({Cluster()}, s, ctx);
    EXPECT_NE(text.find(prefix + "\"" + state + "\"} 1\n"), std::string::npos) << outcome << text;
    size_t ones = 0;
    for (size_t pos = text.find(prefix); pos != std::string::npos; pos = text.find(prefix, pos + 1))
      ones += text.compare(text.find('}', pos), 4, "} 1\n") == 0 ? 1 : 0;
    EXPECT_EQ(ones, 1u) << outcome << text;
  }
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
}  // namespace metrics_test
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
