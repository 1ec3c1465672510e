// The demotion marker's decision table: when a marker stands, when the archive supersedes it,
// and what an activation's audit says (or refuses) for where replay got.
#include "dr/replay_end.h"

#include <gtest/gtest.h>

#include "engine/engine.h"

namespace hasteward::dr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace replay_end_test {
namespace {

const engine::Archiving* Wal() {
  static auto engine = engine::MakeEngine(platform::EngineKind::kPostgres);
  return (*engine)->archiving();
}

DemotionMarker Marker(const std::string& segment, int64_t written) {
  DemotionMarker marker;
  marker.position_kind = repo::CursorPositionKind::kWalSegment;
  marker.position = segment;
  marker.end = "LSN 0/5000028 timeline 1";
  marker.written_unix = written;
  return marker;
}

// An archive whose newest piece, stored at `stored`, ends at `segment`.
Discovery ArchiveAt(const std::string& segment, int64_t stored) {
  Discovery discovery;
  discovery.archive = ArchiveHead{};
  discovery.archive->pieces = 3;
  discovery.archive->newest_piece_at = repo::GoTime{stored, 0, 0};
  auto file = Wal()->ParseFileName(segment);
  discovery.archive->wal = WalPosition{file->timeline, file->segment, segment};
  return discovery;
}

core::Result<std::optional<DemotionMarker>> Loaded(const DemotionMarker& marker) {
  return std::optional<DemotionMarker>(marker);
}

constexpr char kSeg5[] = "000000010000000000000005";
constexpr char kSeg6[] = "000000010000000000000006";
constexpr char kSeg4[] = "000000010000000000000004";

TEST(ReplayEndTest, NoMarkerIsAnUnknownEnd) {
  MarkerJudgement judgement =
      JudgeMarker(std::optional<DemotionMarker>(), ArchiveAt(kSeg5, 100), Wal());
  EXPECT_EQ(judgement.standing, MarkerStanding::kAbsent);
  ReplayEnd end = DecideReplayEnd(judgement, kSeg5, false, Wal());
  EXPECT_EQ(end.source, SourceState::kUnknown);
  EXPECT_EQ(end.text, "unknown end");
  EXPECT_TRUE(end.refusal.ok());
}

TEST(ReplayEndTest, ReplayReachingAValidMarkerSaysTheSourceFinished) {
  MarkerJudgement judgement = JudgeMarker(Loaded(Marker(kSeg5, 200)), ArchiveAt(kSeg5, 100), Wal());
  EXPECT_EQ(judgement.standing, MarkerStanding::kValid);
  ReplayEnd end = DecideReplayEnd(judgement, kSeg5, false, Wal());
  EXPECT_EQ(end.source, SourceState::kDemoted);
  EXPECT_EQ(end.text,
            "source finished at LSN 0/5000028 timeline 1, 000000010000000000000005 "
            "(demotion marker)");
}

// The cluster was started again and archived on: the old marker must not label the new end.
TEST(ReplayEndTest, APiecePastTheMarkerSupersedesIt) {
  MarkerJudgement judgement = JudgeMarker(Loaded(Marker(kSeg5, 200)), ArchiveAt(kSeg6, 150), Wal());
  EXPECT_EQ(judgement.standing, MarkerStanding::kSuperseded);
  ReplayEnd end = DecideReplayEnd(judgement, kSeg6, false, Wal());
  EXPECT_EQ(end.source, SourceState::kUnknown);
  EXPECT_NE(end.text.find("superseded"), std::string::npos);
  EXPECT_TRUE(end.refusal.ok());
}

// A piece stored after the marker (even re-archiving the same segment, or a new timeline's
// history) means the cluster ran again after its fence.
TEST(ReplayEndTest, APieceStoredAfterTheMarkerSupersedesIt) {
  MarkerJudgement judgement = JudgeMarker(Loaded(Marker(kSeg5, 200)), ArchiveAt(kSeg5, 201), Wal());
  EXPECT_EQ(judgement.standing, MarkerStanding::kSuperseded);
}

TEST(ReplayEndTest, ReplayShortOfAValidMarkerIsRefused) {
  MarkerJudgement judgement = JudgeMarker(Loaded(Marker(kSeg5, 200)), ArchiveAt(kSeg4, 100), Wal());
  EXPECT_EQ(judgement.standing, MarkerStanding::kValid);
  ReplayEnd end = DecideReplayEnd(judgement, kSeg4, false, Wal());
  EXPECT_EQ(end.refusal.code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(end.refusal.message().find("missing"), std::string::npos);
  EXPECT_EQ(DecideReplayEnd(judgement, "", false, Wal()).refusal.code(),
            core::ErrorCode::kSafetyStop);
}

// The user chose the end: the marker neither labels nor refuses it.
TEST(ReplayEndTest, ARequestedPointIgnoresTheMarker) {
  MarkerJudgement judgement = JudgeMarker(Loaded(Marker(kSeg5, 200)), ArchiveAt(kSeg4, 100), Wal());
  ReplayEnd end = DecideReplayEnd(judgement, kSeg4, true, Wal());
  EXPECT_TRUE(end.refusal.ok());
  EXPECT_EQ(end.source, SourceState::kUnknown);
}

TEST(ReplayEndTest, AnUnreadableMarkerIsAnUnknownEnd) {
  core::Result<std::optional<DemotionMarker>> broken = core::Corruption("torn");
  MarkerJudgement judgement = JudgeMarker(broken, ArchiveAt(kSeg5, 100), Wal());
  EXPECT_EQ(judgement.standing, MarkerStanding::kUnreadable);
  ReplayEnd end = DecideReplayEnd(judgement, kSeg5, false, Wal());
  EXPECT_EQ(end.source, SourceState::kUnknown);
  EXPECT_TRUE(end.refusal.ok());
}

TEST(ReplayEndTest, AGtidMarkerNeedsReplayToReachItsPosition) {
  DemotionMarker marker = Marker("", 200);
  marker.position_kind = repo::CursorPositionKind::kGtid;
  marker.position = "0-1-42";
  MarkerJudgement judgement = JudgeMarker(Loaded(marker), Discovery{}, nullptr);
  EXPECT_EQ(DecideReplayEnd(judgement, "0-1-42", false, nullptr).source, SourceState::kDemoted);
  EXPECT_EQ(DecideReplayEnd(judgement, "0-1-40", false, nullptr).refusal.code(),
            core::ErrorCode::kSafetyStop);
}

}  // namespace
}  // namespace replay_end_test
}  // namespace hasteward::dr
