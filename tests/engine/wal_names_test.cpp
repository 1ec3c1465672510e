#include "engine/postgres/wal_names.h"

#include <gtest/gtest.h>

#include "engine/archiving.h"
#include "engine/engine.h"

namespace hasteward::engine::postgres {
namespace {

TEST(WalNamesTest, SegmentNameRoundTripsThroughTheSegmentNumber) {
  auto file = ParseWalFileName("0000000200000001000000A3");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->kind, ArchiveFileKind::kSegment);
  EXPECT_EQ(file->timeline, 2u);
  EXPECT_EQ(file->segment, 256u + 0xA3);  // 256 segments of 16 MiB per 4 GiB
  EXPECT_EQ(WalSegmentFileName(2, 256 + 0xA3), "0000000200000001000000A3");
}

TEST(WalNamesTest, HistoryFileNameRoundTrips) {
  EXPECT_EQ(WalHistoryFileName(0x1A), "0000001A.history");
  auto file = ParseWalFileName(WalHistoryFileName(0x1A));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->kind, ArchiveFileKind::kHistory);
  EXPECT_EQ(file->timeline, 0x1Au);
}

TEST(WalNamesTest, RecognisesHistoryPartialAndBackupLabelFiles) {
  auto history = ParseWalFileName("0000000A.history");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->kind, ArchiveFileKind::kHistory);
  EXPECT_EQ(history->timeline, 10u);
  auto partial = ParseWalFileName("000000010000000000000003.partial");
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->kind, ArchiveFileKind::kPartial);
  EXPECT_EQ(partial->segment, 3u);
  auto label = ParseWalFileName("000000010000000000000003.00000028.backup");
  ASSERT_TRUE(label.ok());
  EXPECT_EQ(label->kind, ArchiveFileKind::kBackupLabel);
}

TEST(WalNamesTest, RejectsNamesTheServerNeverArchives) {
  for (const char* name :
       {"", "RECOVERYXLOG", "00000001000000000000003", "0000000100000000000000g3",
        "000000010000000000000100", "000000010000000000000003.tmp", "../000000010000000000000003",
        "0000000a.history"}) {
    auto parsed = ParseWalFileName(name);
    EXPECT_FALSE(parsed.ok()) << name;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), core::ErrorCode::kUsage) << name;
    }
  }
}

TEST(WalNamesTest, ArchivingParsesPositionsAsPostgresWritesThem) {
  auto engine = MakeEngine(platform::EngineKind::kPostgres);
  ASSERT_TRUE(engine.ok());
  Archiving* archiving = (*engine)->archiving();
  ASSERT_NE(archiving, nullptr);
  auto lsn = archiving->ParsePosition("1/3000a38");
  ASSERT_TRUE(lsn.ok());
  EXPECT_EQ(*lsn, (uint64_t{1} << 32) | 0x3000A38);
  EXPECT_EQ(archiving->FormatPosition(*lsn), "1/3000A38");
  auto bad = archiving->ParsePosition("yesterday");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
}

}  // namespace
}  // namespace hasteward::engine::postgres
