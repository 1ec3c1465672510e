// The catalogue's record of a base backup: every fact survives encode → tags → decode, tags
// written by earlier releases (and list values restic split at their commas) decode, and a
// malformed tag is a clear error.
#include "catalog/base_backup_record.h"

#include <gtest/gtest.h>

#include "repo/backup/snapshot_writer.h"

namespace hasteward::catalog {
namespace base_backup_record_test {
namespace {

repo::Snapshot Stored(std::vector<std::string> tags) {
  repo::Snapshot snapshot;
  // As the repository's writer stores them: split at commas like restic --tag.
  snapshot.tags = repo::NormalizeTags(tags);
  return snapshot;
}

BaseBackupRecord PostgresRecord() {
  BaseBackupRecord record;
  record.native = true;
  record.source_instance = "pg-1";
  record.timeline = 3;
  record.start_lsn = 0x5000028;
  record.stop_lsn = 0x5000138;
  record.timeline_history = {{1, 0x3000060}, {2, 0x5000000}};
  record.system_identifier = "7301234567890123456";
  record.server_version = "15";
  record.version_key = "pg_version";
  record.data_checksums = true;
  record.block_size = 524288;
  record.read = ReadMode::kIncremental;
  record.parent = std::string(64, 'a');
  record.parent_proof = ParentProof::kWal;
  record.incremental_run = 2;
  record.bytes_read = 123;
  record.wal_bytes_read = 456;
  record.changed_blocks = 7;
  record.other["future_fact"] = "kept";
  return record;
}

TEST(BaseBackupRecordTest, EveryPostgresFactSurvivesTheRoundTripThroughStoredTags) {
  const BaseBackupRecord record = PostgresRecord();
  auto decoded = DecodeBaseBackup(Stored(EncodeTags(record)));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->native);
  EXPECT_EQ(decoded->source_instance, "pg-1");
  EXPECT_EQ(decoded->start(), (WalPosition{3, 0x5000028}));
  EXPECT_EQ(decoded->stop(), (WalPosition{3, 0x5000138}));
  ASSERT_EQ(decoded->timeline_history.size(), 2u);  // split at its comma when stored
  EXPECT_EQ(decoded->timeline_history[1].parent, 2u);
  EXPECT_EQ(decoded->timeline_history[1].switch_position, 0x5000000u);
  EXPECT_EQ(decoded->system_identifier, record.system_identifier);
  EXPECT_EQ(decoded->server_version, "15");
  EXPECT_EQ(decoded->data_checksums, true);
  EXPECT_EQ(decoded->block_size, 524288u);
  EXPECT_EQ(decoded->read, ReadMode::kIncremental);
  EXPECT_EQ(decoded->parent, record.parent);
  EXPECT_EQ(decoded->parent_proof, ParentProof::kWal);
  EXPECT_EQ(decoded->incremental_run, 2u);
  EXPECT_EQ(decoded->bytes_read, 123u);
  EXPECT_EQ(decoded->wal_bytes_read, 456u);
  EXPECT_EQ(decoded->changed_blocks, 7u);
  EXPECT_EQ(decoded->other, record.other);
  EXPECT_EQ(EncodeTags(*decoded), EncodeTags(record));
}

TEST(BaseBackupRecordTest, AMultiDomainGtidStateSurvivesTheRoundTrip) {
  BaseBackupRecord record;
  record.native = true;
  record.gtid_position = "0-1-42,1-1-7";
  record.gtid_slave_pos = "0-1-42,1-1-7,2-3-4";
  record.server_version = "10.11";
  record.version_key = "mariadb_version";
  record.read = ReadMode::kFull;
  record.reason = "no-parent";
  record.other = {{"binlog_file", "mysql-bin.000003"}, {"binlog_pos", "385"}};
  auto decoded = DecodeBaseBackup(Stored(EncodeTags(record)));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->gtid_position, "0-1-42,1-1-7");
  EXPECT_EQ(decoded->gtid_slave_pos, "0-1-42,1-1-7,2-3-4");
  EXPECT_EQ(decoded->read, ReadMode::kFull);
  EXPECT_EQ(decoded->reason, "no-parent");
  EXPECT_EQ(FactsOf(*decoded), FactsOf(record));
}

// Tags exactly as the native backup job wrote them before the catalogue (jobs::SnapshotTags,
// method, source_instance, the facts in key order), stored through the writer.
TEST(BaseBackupRecordTest, DecodesTheTagsEarlierReleasesWrote) {
  auto decoded = DecodeBaseBackup(
      Stored({"engine=cnpg", "cluster=pg", "namespace=prod", "type=backup", "job=nightly",
              "method=native", "source_instance=pg-2", "block_size=524288", "bytes_read=99",
              "data_checksums=off", "incremental_run=0", "pg_version=15", "read=full",
              "reason=no-parent", "start_lsn=0/2000028", "stop_lsn=0/2000100",
              "system_identifier=42", "timeline=3", "timeline_history=1:0/3000060,2:0/5000000"}));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->engine, platform::EngineKind::kPostgres);
  EXPECT_EQ(decoded->ns, "prod");
  EXPECT_EQ(decoded->cluster, "pg");
  EXPECT_EQ(decoded->type, "backup");
  EXPECT_EQ(decoded->job, "nightly");
  EXPECT_EQ(decoded->source_instance, "pg-2");
  EXPECT_EQ(decoded->data_checksums, false);
  EXPECT_EQ(decoded->timeline_history.size(), 2u);
  EXPECT_TRUE(decoded->other.empty());
  EXPECT_EQ(decoded->parent_proof, ParentProof::kUnrecorded);  // proved nothing
  // The facts map the engine reads holds the whole history, not its first entry only.
  EXPECT_EQ(
      TagFacts(Stored({"timeline_history=1:0/3000060,2:0/5000000"}).tags).at("timeline_history"),
      "1:0/3000060,2:0/5000000");
}

TEST(BaseBackupRecordTest, AMalformedTagIsAClearError) {
  for (const char* tag : {"start_lsn=0/xyz", "timeline=three", "read=partial",
                          "data_checksums=maybe", "block_size=-1", "engine=oracle",
                          "parent_proof=position", "timeline_history=1:0/3000060;2"}) {
    auto decoded = DecodeBaseBackup(Stored({"method=native", tag}));
    ASSERT_FALSE(decoded.ok()) << tag;
    EXPECT_EQ(decoded.status().code(), core::ErrorCode::kCorruption) << tag;
    EXPECT_NE(decoded.status().message().find(std::string(tag).substr(0, 8)), std::string::npos)
        << decoded.status().ToString();
    EXPECT_FALSE(decoded.status().hint().empty()) << tag;
  }
}

TEST(BaseBackupRecordTest, TheNewestRecordedTimelineCountsSplitHistoriesOfTheSystemOnly) {
  const std::vector<repo::Snapshot> snapshots = {
      Stored({"system_identifier=42", "timeline=2", "timeline_history=1:0/3000060"}),
      Stored({"system_identifier=42", "timeline=3", "timeline_history=1:0/3000060,5:0/5000000"}),
      Stored({"system_identifier=7", "timeline=9"})};
  EXPECT_EQ(NewestRecordedTimeline(snapshots, "42"), 5u);
  EXPECT_EQ(NewestRecordedTimeline(snapshots, "7"), 9u);
  EXPECT_EQ(NewestRecordedTimeline(snapshots, ""), 0u);
}

}  // namespace
}  // namespace base_backup_record_test
}  // namespace hasteward::catalog
