#include "verify/incremental_audit.h"

#include <gtest/gtest.h>

namespace hasteward::verify {
namespace {

constexpr uint64_t kSegment = 16u << 20;

// A native snapshot on timeline 1 starting in segment `start_segment`; incremental on `parent`
// when that is not empty.
AuditedSnapshot Native(const std::string& id, uint64_t start_segment, const std::string& parent,
                       catalog::ParentProof proof = catalog::ParentProof::kUnrecorded) {
  AuditedSnapshot s;
  s.id = id;
  s.record.native = true;
  s.record.timeline = 1;
  s.record.start_lsn = start_segment * kSegment + 0x28;
  s.record.stop_lsn = start_segment * kSegment + 0x1000;
  s.record.read = parent.empty() ? catalog::ReadMode::kFull : catalog::ReadMode::kIncremental;
  s.record.parent = parent;
  s.record.parent_proof = proof;
  return s;
}

TEST(IncrementalAuditTest, AnUnprovenIncrementalReliesOnTheSegmentsFromItsParentsStartToItsOwn) {
  std::vector<AuditedSnapshot> snapshots = {Native("b1aaaaaa", 2, ""),
                                            Native("b2bbbbbb", 5, "b1aaaaaa")};
  EXPECT_EQ(SegmentsReliedOn(snapshots[1], snapshots, kSegment),
            (std::set<SegmentKey>{{1, 2}, {1, 3}, {1, 4}, {1, 5}}));
  EXPECT_TRUE(SegmentsReliedOn(snapshots[0], snapshots, kSegment).empty());  // a full one
  snapshots[1].record.parent_proof = catalog::ParentProof::kWal;
  EXPECT_TRUE(SegmentsReliedOn(snapshots[1], snapshots, kSegment).empty());  // proven
  snapshots[1].record.parent_proof = catalog::ParentProof::kUnrecorded;
  snapshots[1].record.timeline = 2;  // another timeline: positions say nothing
  EXPECT_TRUE(SegmentsReliedOn(snapshots[1], snapshots, kSegment).empty());
}

TEST(IncrementalAuditTest, TwoCopiesOfASegmentInTheRangeMakeTheIncrementalAndItsChildrenDoubtful) {
  // B1 full, B2 on B1 (proven), then a restore of B1 that kept the timeline; S on B2 unproven
  // (as releases before the proof chose it), T on S proven, U full, V on U unproven.
  std::vector<AuditedSnapshot> snapshots = {
      Native("b1aaaaaa", 2, ""),
      Native("b2bbbbbb", 5, "b1aaaaaa", catalog::ParentProof::kWal),
      Native("5ccccccc", 8, "b2bbbbbb"),
      Native("7ddddddd", 9, "5ccccccc", catalog::ParentProof::kWal),
      Native("0eeeeeee", 10, ""),
      Native("0fffffff", 11, "0eeeeeee")};
  SegmentConflicts conflicts = {{{1, 7}, "WAL segment X differs between A and B at byte 9"}};
  auto doubtful = JudgeIncrementals(snapshots, conflicts, kSegment);
  ASSERT_EQ(doubtful.size(), 3u);
  EXPECT_EQ(doubtful[0].snapshot, "5ccccccc");
  EXPECT_EQ(doubtful[0].parent, "b2bbbbbb");
  EXPECT_EQ(doubtful[0].doubt, ParentDoubt::kTwoHistories);
  EXPECT_NE(doubtful[0].detail.find("differs between A and B"), std::string::npos);
  EXPECT_EQ(doubtful[1].snapshot, "7ddddddd");  // its own proof holds, its parent's pages not
  EXPECT_EQ(doubtful[1].doubt, ParentDoubt::kInheritsTwoHistories);
  EXPECT_NE(doubtful[1].detail.find("5ccccccc"), std::string::npos);
  EXPECT_EQ(doubtful[2].snapshot, "0fffffff");  // no evidence in its range: only unproven
  EXPECT_EQ(doubtful[2].doubt, ParentDoubt::kUnproven);
  EXPECT_TRUE(IsEvidenced(doubtful[0].doubt));
  EXPECT_TRUE(IsEvidenced(doubtful[1].doubt));
  EXPECT_FALSE(IsEvidenced(doubtful[2].doubt));

  // A conflict outside every unproven range (before B1's start) doubts nothing new.
  auto outside = JudgeIncrementals(snapshots, {{{1, 1}, "before"}}, kSegment);
  for (const auto& d : outside) {
    EXPECT_EQ(d.doubt, ParentDoubt::kUnproven) << d.snapshot;
  }
}

TEST(IncrementalAuditTest, ChildrenAreJudgedAfterTheirParentsWhateverTheListingOrder) {
  std::vector<AuditedSnapshot> snapshots = {
      Native("7ddddddd", 9, "5ccccccc", catalog::ParentProof::kWal),
      Native("5ccccccc", 8, "b2bbbbbb"), Native("b2bbbbbb", 5, "")};
  auto doubtful = JudgeIncrementals(snapshots, {{{1, 6}, "two copies"}}, kSegment);
  ASSERT_EQ(doubtful.size(), 2u);
  EXPECT_EQ(doubtful[0].snapshot, "7ddddddd");
  EXPECT_EQ(doubtful[0].doubt, ParentDoubt::kInheritsTwoHistories);
  EXPECT_EQ(doubtful[1].doubt, ParentDoubt::kTwoHistories);
}

TEST(IncrementalAuditTest, AProvenChainIsNotNamedAndTaggedCyclesEnd) {
  std::vector<AuditedSnapshot> snapshots = {
      Native("b1aaaaaa", 2, ""), Native("b2bbbbbb", 5, "b1aaaaaa", catalog::ParentProof::kWal)};
  EXPECT_TRUE(JudgeIncrementals(snapshots, {{{1, 3}, "two copies"}}, kSegment).empty());
  // Forged tags naming each other as parent: judged, not followed forever.
  std::vector<AuditedSnapshot> cycle = {Native("0aaaaaaa", 2, "0bbbbbbb"),
                                        Native("0bbbbbbb", 3, "0aaaaaaa")};
  EXPECT_EQ(JudgeIncrementals(cycle, {}, kSegment).size(), 2u);
}

}  // namespace
}  // namespace hasteward::verify
