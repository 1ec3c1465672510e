#include "operator/archive/archive_metrics.h"

#include <gtest/gtest.h>

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace archive_metrics_test {
namespace {

constexpr char kLabels[] = "{cluster=\"m\",namespace=\"db\",engine=\"mariadb\"}";

ArchiveProgress Archive() {
  ArchiveProgress a;
  a.ns = "db";
  a.name = "m";
  a.engine = "mariadb";
  a.archiver = true;
  return a;
}

bool Has(const std::string& text, const std::string& sample) {
  return text.find(sample + "\n") != std::string::npos;
}

TEST(ArchiveMetricsTest, RendersLagPositionWindowAndArchiverState) {
  ArchiveProgress a = Archive();
  a.running = true;
  a.restarts = 2;
  a.covered_at = 1000;
  a.files_behind = 3;
  a.bytes_behind = 4096;
  a.position = "0-1-42";
  a.last_transaction_time = 990;
  a.cycles_failed = 5;
  a.window = PitrWindowSummary{900, 995, 1, 2};
  const std::string text = RenderArchiveMetrics({a}, 1061.5);
  const std::string l = kLabels;
  EXPECT_TRUE(Has(text, "hasteward_archive_up" + l + " 1")) << text;
  EXPECT_TRUE(Has(text, "hasteward_archive_restarts_total" + l + " 2"));
  EXPECT_TRUE(Has(text, "hasteward_archive_lag_seconds" + l + " 61.5"));
  EXPECT_TRUE(Has(text, "hasteward_archive_lag_files" + l + " 3"));
  EXPECT_TRUE(Has(text, "hasteward_archive_lag_bytes" + l + " 4096"));
  EXPECT_TRUE(Has(text, "hasteward_archive_cycles_failed_total" + l + " 5"));
  EXPECT_TRUE(Has(text, "hasteward_archive_last_transaction_timestamp_seconds" + l + " 990"));
  EXPECT_TRUE(Has(text,
                  "hasteward_archive_position_info{cluster=\"m\",namespace=\"db\","
                  "engine=\"mariadb\",position=\"0-1-42\"} 1"));
  EXPECT_TRUE(Has(text, "hasteward_pitr_window_start_timestamp_seconds" + l + " 900"));
  EXPECT_TRUE(Has(text, "hasteward_pitr_window_end_timestamp_seconds" + l + " 995"));
  EXPECT_TRUE(Has(text, "hasteward_pitr_gaps" + l + " 1"));
  EXPECT_TRUE(Has(text, "hasteward_pitr_status_success" + l + " 1"));
}

TEST(ArchiveMetricsTest, UnknownValuesHaveNoSampleNeverAZero) {
  const std::string text = RenderArchiveMetrics({Archive()}, 1000);
  EXPECT_NE(text.find("# TYPE hasteward_archive_lag_seconds gauge"), std::string::npos);
  EXPECT_EQ(text.find("hasteward_archive_lag_seconds{"), std::string::npos) << text;
  EXPECT_EQ(text.find("hasteward_archive_lag_files{"), std::string::npos);
  EXPECT_EQ(text.find("hasteward_pitr_gaps{"), std::string::npos);
  EXPECT_EQ(text.find("hasteward_archive_position_info{"), std::string::npos);
  EXPECT_TRUE(Has(text, std::string("hasteward_archive_up") + kLabels + " 0"));
}

TEST(ArchiveMetricsTest, AServerThatArchivesItselfHasNoArchiverSamples) {
  ArchiveProgress pg = Archive();
  pg.archiver = false;
  pg.engine = "cnpg";
  pg.window = PitrWindowSummary{900, 995, 0, 1};
  const std::string text = RenderArchiveMetrics({pg}, 1000);
  EXPECT_EQ(text.find("hasteward_archive_up{"), std::string::npos) << text;
  EXPECT_EQ(text.find("hasteward_archive_restarts_total{"), std::string::npos);
  EXPECT_NE(text.find("hasteward_pitr_gaps{cluster=\"m\",namespace=\"db\",engine=\"cnpg\"} 0"),
            std::string::npos);
}

TEST(ArchiveMetricsTest, AWalAgentHasItsOwnSamplesAndOnlyWhereServeRunsOne) {
  ArchiveProgress pg = Archive();
  pg.archiver = false;
  pg.engine = "cnpg";
  pg.agent = true;
  pg.agent_running = true;
  pg.agent_restarts = 1;
  pg.agent_requests = 7;
  pg.agent_files_archived = 9;
  pg.agent_errors = 2;
  ArchiveProgress binlogs = Archive();
  const std::string text = RenderArchiveMetrics({pg, binlogs}, 1000);
  const std::string labels = "{cluster=\"m\",namespace=\"db\",engine=\"cnpg\"}";
  EXPECT_TRUE(Has(text, "hasteward_wal_agent_up" + labels + " 1")) << text;
  EXPECT_TRUE(Has(text, "hasteward_wal_agent_restarts_total" + labels + " 1"));
  EXPECT_TRUE(Has(text, "hasteward_wal_agent_requests_total" + labels + " 7"));
  EXPECT_TRUE(Has(text, "hasteward_wal_agent_files_archived_total" + labels + " 9"));
  EXPECT_TRUE(Has(text, "hasteward_wal_agent_errors_total" + labels + " 2"));
  EXPECT_EQ(text.find("hasteward_wal_agent_up" + std::string(kLabels)), std::string::npos)
      << "a binlog archive has no WAL agent";
  EXPECT_EQ(text.find("hasteward_archive_up" + labels), std::string::npos)
      << "the agent is not an archiver";
}

// The synchronous receiver's samples exist only where serve runs one (pitrSync); its fallback is
// a 0 of hasteward_wal_receiver_synchronous, what an alert watches.
TEST(ArchiveMetricsTest, AWalReceiverHasItsOwnSamplesAndAFallbackShowsAsZero) {
  ArchiveProgress pg = Archive();
  pg.archiver = false;
  pg.engine = "cnpg";
  pg.receiver = true;
  pg.receiver_running = true;
  ASSERT_TRUE(ApplyReceiverLine(
      R"({"durable":83886080,"received":83886180,"synchronous":false,"fallbacks":2,)"
      R"("repository_down":true,"primary":"pg-0","timeline":1})",
      pg));
  ArchiveProgress binlogs = Archive();
  const std::string text = RenderArchiveMetrics({pg, binlogs}, 1000);
  const std::string labels = "{cluster=\"m\",namespace=\"db\",engine=\"cnpg\"}";
  EXPECT_TRUE(Has(text, "hasteward_wal_receiver_up" + labels + " 1")) << text;
  EXPECT_TRUE(Has(text, "hasteward_wal_receiver_durable_position_bytes" + labels + " 83886080"))
      << text;
  EXPECT_TRUE(Has(text, "hasteward_wal_receiver_lag_bytes" + labels + " 100")) << text;
  EXPECT_TRUE(Has(text, "hasteward_wal_receiver_synchronous" + labels + " 0")) << text;
  EXPECT_TRUE(Has(text, "hasteward_wal_receiver_fallbacks_total" + labels + " 2")) << text;
  EXPECT_TRUE(Has(text, "hasteward_wal_receiver_repository_down" + labels + " 1")) << text;
  EXPECT_EQ(text.find("hasteward_wal_receiver_up" + std::string(kLabels)), std::string::npos)
      << "a binlog archive has no WAL receiver";
}

// MariaDB's binlog receiver (pitrSync) is the cluster's archiver: its lines give the receiver's
// samples and the archive's coverage, so the archive lag counts from its last caught-up moment.
TEST(ArchiveMetricsTest, ABinlogReceiverIsTheArchiverAndItsLagCountsFromItsCoverage) {
  ArchiveProgress binlogs = Archive();
  binlogs.receiver = true;
  binlogs.receiver_running = true;
  EXPECT_FALSE(ApplyBinlogReceiverLine(R"({"ok":true,"listed_at":900})", binlogs))
      << "a cycle line is not the receiver's";
  ASSERT_TRUE(
      ApplyBinlogReceiverLine(R"({"writer":"db-0","file":"mariadb-bin.000002","durable":4096,)"
                              R"("durable_state":"0-1-42","synchronous":true,"fallbacks":1,)"
                              R"("repository_down":false,"covered_at":990.5})",
                              binlogs));
  EXPECT_EQ(binlogs.position, "0-1-42");
  EXPECT_EQ(binlogs.covered_at, 990.5);
  ASSERT_TRUE(LagSeconds(binlogs, 1000).has_value());
  EXPECT_DOUBLE_EQ(*LagSeconds(binlogs, 1000), 9.5);
  const std::string text = RenderArchiveMetrics({binlogs}, 1000);
  EXPECT_TRUE(Has(text, "hasteward_wal_receiver_synchronous" + std::string(kLabels) + " 1"))
      << text;
  EXPECT_TRUE(Has(text, "hasteward_wal_receiver_fallbacks_total" + std::string(kLabels) + " 1"))
      << text;
}

// Before its first line the receiver's position and state are unknown: no sample, never a zero.
TEST(ArchiveMetricsTest, AWalReceiverWithoutALineHasNoPositionSample) {
  ArchiveProgress pg = Archive();
  pg.archiver = false;
  pg.engine = "cnpg";
  pg.receiver = true;
  EXPECT_FALSE(ApplyReceiverLine("receiving WAL from=0/3000000", pg));
  EXPECT_FALSE(ApplyReceiverLine(R"({"file":"x","ok":true})", pg)) << "an agent line";
  const std::string text = RenderArchiveMetrics({pg}, 1000);
  EXPECT_EQ(text.find("hasteward_wal_receiver_durable_position_bytes{"), std::string::npos) << text;
  EXPECT_EQ(text.find("hasteward_wal_receiver_synchronous{"), std::string::npos) << text;
  EXPECT_TRUE(
      Has(text, "hasteward_wal_receiver_up{cluster=\"m\",namespace=\"db\",engine=\"cnpg\"} 0"))
      << text;
}

}  // namespace
}  // namespace archive_metrics_test
}  // namespace hasteward::op
