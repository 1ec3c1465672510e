// The facts of a PostgreSQL base backup, read from the files pg_basebackup puts in its archive.
#include "engine/postgres/native_stream.h"

#include <gtest/gtest.h>

namespace hasteward::engine::postgres {
namespace {

TEST(NativeStreamFactsTest, BackupLabelGivesStartLsnAndTimeline) {
  auto facts = ParseBackupLabel(
      "START WAL LOCATION: 0/6000028 (file 000000010000000000000006)\n"
      "CHECKPOINT LOCATION: 0/6000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n"
      "START TIME: 2026-11-22 13:21:00 UTC\nLABEL: hasteward native backup\nSTART TIMELINE: 3\n");
  EXPECT_EQ(facts["start_lsn"], "0/6000028");
  EXPECT_EQ(facts["timeline"], "3");
}

TEST(NativeStreamFactsTest, ManifestTailGivesTheLastWalRange) {
  auto facts = ParseManifestWalRange(
      "{ \"Path\": \"global/pg_control\", \"Size\": 8192 }\n],\n\"WAL-Ranges\": [\n"
      "{ \"Timeline\": 2, \"Start-LSN\": \"0/5000028\", \"End-LSN\": \"0/5FFFFFF\" },\n"
      "{ \"Timeline\": 3, \"Start-LSN\": \"0/6000028\", \"End-LSN\": \"0/6000100\" }\n],\n"
      "\"Manifest-Checksum\": \"abc\"}\n");
  EXPECT_EQ(facts["timeline"], "3");
  EXPECT_EQ(facts["stop_lsn"], "0/6000100");
  EXPECT_TRUE(ParseManifestWalRange("{\"Files\": []}").empty());
}

// PostgreSQL writes the ranges newest first (backup_manifest.c follows the end timeline's history):
// a backup of a standby that replayed a promotion of its upstream ends on the newer timeline.
TEST(NativeStreamFactsTest, ManifestRangesNewestFirstGiveTheNewestTimelinesEnd) {
  auto facts = ParseManifestWalRange(
      "\"WAL-Ranges\": [\n"
      "{ \"Timeline\": 2, \"Start-LSN\": \"0/60000A0\", \"End-LSN\": \"0/7A21F08\" },\n"
      "{ \"Timeline\": 1, \"Start-LSN\": \"0/6000028\", \"End-LSN\": \"0/60000A0\" }\n],\n");
  EXPECT_EQ(facts["timeline"], "2");
  EXPECT_EQ(facts["stop_lsn"], "0/7A21F08");
}

TEST(NativeStreamFactsTest, SystemIdentifierIsPgControlsFirstEightBytesLittleEndian) {
  std::string control(8192, '\0');
  const uint64_t id = 7710985414420467352ULL;
  for (int i = 0; i < 8; ++i) {
    control[static_cast<size_t>(i)] = static_cast<char>((id >> (8 * i)) & 0xff);
  }
  EXPECT_EQ(*SystemIdentifierFromControl(control), "7710985414420467352");
  EXPECT_EQ(SystemIdentifierFromControl("short").status().code(), core::ErrorCode::kCorruption);
}

TEST(NativeStreamFactsTest, RelationFilesAreBaseAndGlobal) {
  EXPECT_TRUE(IsRelationPath("base/5/16384"));
  EXPECT_TRUE(IsRelationPath("global/1262"));
  EXPECT_FALSE(IsRelationPath("pg_wal/000000010000000000000006"));
  EXPECT_FALSE(IsRelationPath("backup_manifest"));
  EXPECT_FALSE(IsRelationPath("basement/x"));
}

}  // namespace
}  // namespace hasteward::engine::postgres
