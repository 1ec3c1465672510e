// Fresh/Stale by archive position and backlog: an idle source whose archive is complete is not
// Stale however old its last piece; a backup that ended past the archive proves a backlog, Stale
// once it outlives the bound; silence past the bound is Stale.
#include "dr/freshness.h"

#include <gtest/gtest.h>

namespace hasteward::dr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace freshness_test {
namespace {

constexpr std::chrono::seconds kBound{3600};

WalPosition Segment(uint64_t number, uint32_t timeline = 1) {
  char name[25];
  std::snprintf(name, sizeof(name), "%08X%08X%08X", timeline, 0U, static_cast<unsigned>(number));
  return WalPosition{timeline, number, name};
}

std::chrono::system_clock::time_point At(int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

Discovery With(int64_t backup_end, const std::optional<WalPosition>& backup_segment,
               std::optional<int64_t> piece_at, const std::optional<WalPosition>& archived) {
  Discovery discovery;
  discovery.backups = 1;
  DiscoveredBackup backup;
  backup.id = "0123456789abcdef";
  backup.end = repo::GoTime{backup_end, 0, 0};
  backup.native = backup_segment.has_value();
  backup.end_position = backup_segment;
  discovery.newest_backup = backup;
  if (piece_at) {
    ArchiveHead head;
    head.pieces = 3;
    head.newest_piece_at = repo::GoTime{*piece_at, 0, 0};
    head.wal = archived;
    discovery.archive = head;
  }
  return discovery;
}

TEST(FreshnessTest, AnIdleSourceIsNotStaleWhileItsBackupsProveIt) {
  // The last piece is 10 h old, older than the bound; the archive ends where the backup ended.
  Freshness result =
      EvaluateFreshness(With(40000, Segment(5), 4000, Segment(5)), At(40100), kBound);
  EXPECT_EQ(result.state, FreshnessState::kSourceIdle);
  EXPECT_FALSE(result.stale);
  EXPECT_EQ(result.backlog_segments, 0);
  EXPECT_EQ(result.evidence_age_seconds, 100);
}

TEST(FreshnessTest, ABackupPastTheArchiveIsABacklogThatTurnsStalePastTheBound) {
  Discovery behind = With(10000, Segment(9), 9000, Segment(5));
  Freshness early = EvaluateFreshness(behind, At(10000 + 60), kBound);
  EXPECT_EQ(early.state, FreshnessState::kCatchingUp);
  EXPECT_FALSE(early.stale);
  EXPECT_EQ(early.backlog_segments, 4);
  Freshness late = EvaluateFreshness(behind, At(10000 + 3601), kBound);
  EXPECT_EQ(late.state, FreshnessState::kArchiveBehind);
  EXPECT_TRUE(late.stale);
  EXPECT_NE(late.message.find("000000010000000000000005"), std::string::npos) << late.message;
}

TEST(FreshnessTest, TheBoundComparesExactAgesNotWholeSeconds) {
  // The backup ended at 100.1 s and the check runs at 102.6 s: 2.5 s old, past a 2-second bound,
  // though the whole seconds (102 - 100) say 2 s (the CI failure this test comes from).
  Discovery behind = With(100, Segment(9), 90, Segment(5));
  behind.newest_backup->end.nanos = 100'000'000;
  Freshness result =
      EvaluateFreshness(behind, At(102) + std::chrono::milliseconds(600), std::chrono::seconds(2));
  EXPECT_TRUE(result.stale) << result.message;
  EXPECT_EQ(result.evidence_age_seconds, 2);
  // 1.9 s old is within it.
  result = EvaluateFreshness(behind, At(102), std::chrono::seconds(2));
  EXPECT_FALSE(result.stale) << result.message;
  EXPECT_EQ(result.evidence_age_seconds, 1);
  // Silence is measured the same way: the newest piece 2.5 s ago is past the bound.
  Discovery idle = With(100, Segment(5), 100, Segment(5));
  idle.newest_backup->end.nanos = 100'000'000;
  idle.archive->newest_piece_at.nanos = 100'000'000;
  result =
      EvaluateFreshness(idle, At(102) + std::chrono::milliseconds(600), std::chrono::seconds(2));
  EXPECT_EQ(result.state, FreshnessState::kSourceSilent) << result.message;
}

TEST(FreshnessTest, SilencePastTheBoundIsStale) {
  Freshness result =
      EvaluateFreshness(With(1000, Segment(5), 1000, Segment(5)), At(1000 + 3601), kBound);
  EXPECT_EQ(result.state, FreshnessState::kSourceSilent);
  EXPECT_TRUE(result.stale);
}

TEST(FreshnessTest, AnArchivePastTheNewestBackupIsCurrent) {
  Freshness result = EvaluateFreshness(With(1000, Segment(5), 2000, Segment(8)), At(2100), kBound);
  EXPECT_EQ(result.state, FreshnessState::kArchiveCurrent);
  EXPECT_FALSE(result.stale);
  EXPECT_EQ(result.evidence_age_seconds, 100);
  // A newer timeline in the archive (a promotion) is past the backup too.
  result = EvaluateFreshness(With(1000, Segment(9), 2000, Segment(2, 2)), At(2100), kBound);
  EXPECT_EQ(result.state, FreshnessState::kArchiveCurrent);
}

TEST(FreshnessTest, ABackupOnANewerTimelineThanTheArchiveIsBehindByAnUnknownAmount) {
  Freshness result =
      EvaluateFreshness(With(1000, Segment(2, 2), 900, Segment(9)), At(1000 + 3601), kBound);
  EXPECT_EQ(result.state, FreshnessState::kArchiveBehind);
  EXPECT_EQ(result.backlog_segments, -1);
}

TEST(FreshnessTest, WithoutComparablePositionsOnlyTheBoundDecides) {
  Freshness dump = EvaluateFreshness(With(1000, std::nullopt, 900, Segment(9)), At(2000), kBound);
  EXPECT_EQ(dump.state, FreshnessState::kPositionUnknown);
  EXPECT_FALSE(dump.stale);
  Freshness no_archive =
      EvaluateFreshness(With(1000, std::nullopt, std::nullopt, std::nullopt), At(2000), kBound);
  EXPECT_EQ(no_archive.state, FreshnessState::kBackupsOnly);
  EXPECT_FALSE(no_archive.stale);
  Freshness nothing = EvaluateFreshness(Discovery{}, At(2000), kBound);
  EXPECT_EQ(nothing.state, FreshnessState::kNoBackups);
  EXPECT_FALSE(nothing.stale);
}

}  // namespace
}  // namespace freshness_test
}  // namespace hasteward::dr
