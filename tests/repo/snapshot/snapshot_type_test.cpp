#include "repo/snapshot/snapshot_type.h"

#include <gtest/gtest.h>

namespace hasteward::repo {
namespace {

Snapshot WithTags(std::vector<std::string> tags) {
  Snapshot snapshot;
  snapshot.tags = std::move(tags);
  return snapshot;
}

TEST(SnapshotTypeTest, NamesRoundTripThroughTheTag) {
  for (SnapshotType type : {SnapshotType::kBackup, SnapshotType::kDiverged,
                            SnapshotType::kVerification, SnapshotType::kWal}) {
    EXPECT_EQ(ParseSnapshotType(SnapshotTypeName(type)), type);
    EXPECT_EQ(TypeOf(WithTags({"cluster=db", TypeTag(type)})), type);
  }
  EXPECT_EQ(TypeTag(SnapshotType::kDiverged), "type=diverged");
}

TEST(SnapshotTypeTest, AnUntaggedSnapshotIsABackupAndAnUnknownTypeIsNone) {
  EXPECT_EQ(TypeOf(WithTags({})), SnapshotType::kBackup);
  EXPECT_EQ(TypeOf(WithTags({"type=wal-segment"})), std::nullopt);
  EXPECT_EQ(ParseSnapshotType("Backup"), std::nullopt);
}

TEST(SnapshotTypeTest, SelectorAllMatchesEveryTypeAndOneTypeOnlyItself) {
  auto all = ParseTypeSelector("all");
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->has_value());
  EXPECT_TRUE(MatchesType(WithTags({"type=verification"}), *all));
  EXPECT_TRUE(MatchesType(WithTags({"type=future"}), *all));

  auto diverged = ParseTypeSelector("diverged");
  ASSERT_TRUE(diverged.ok());
  EXPECT_TRUE(MatchesType(WithTags({"type=diverged"}), *diverged));
  EXPECT_FALSE(MatchesType(WithTags({"type=backup"}), *diverged));
  EXPECT_FALSE(MatchesType(WithTags({}), *diverged));
  EXPECT_TRUE(MatchesType(WithTags({}), SnapshotType::kBackup));
}

TEST(SnapshotTypeTest, AnUnknownSelectorIsAUsageErrorNamingTheValidValues) {
  auto parsed = ParseTypeSelector("backups");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(parsed.status().ToString().find("-t all"), std::string::npos);
}

}  // namespace
}  // namespace hasteward::repo
