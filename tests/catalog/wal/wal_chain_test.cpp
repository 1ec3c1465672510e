#include "catalog/wal/wal_chain.h"

#include <gtest/gtest.h>

namespace hasteward::catalog {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace wal_chain_test {
namespace {

repo::GoTime At(int64_t seconds) {
  return repo::GoTime{seconds, 0, 0};
}

SegmentTimes Segments(std::initializer_list<uint64_t> numbers) {
  SegmentTimes out;
  for (uint64_t n : numbers) {
    out.emplace(n, At(static_cast<int64_t>(1000 + n * 10)));
  }
  return out;
}

TEST(WalChainTest, UnbrokenRunReachesItsLastSegmentWithoutGap) {
  ChainReach reach = FollowChain(Segments({4, 5, 6, 7}), 5);
  EXPECT_TRUE(reach.starts);
  EXPECT_EQ(reach.last, 7u);
  EXPECT_FALSE(reach.gap.has_value());
}

TEST(WalChainTest, MissingMiddleSegmentsEndTheRunAndAreNamed) {
  ChainReach reach = FollowChain(Segments({5, 6, 9, 10}), 5);
  EXPECT_TRUE(reach.starts);
  EXPECT_EQ(reach.last, 6u);
  ASSERT_TRUE(reach.gap.has_value());
  EXPECT_EQ(reach.gap->first, 7u);
  EXPECT_EQ(reach.gap->last, 8u);
}

TEST(WalChainTest, MissingFirstSegmentMeansNoWindow) {
  ChainReach reach = FollowChain(Segments({7, 8}), 5);
  EXPECT_FALSE(reach.starts);
  ASSERT_TRUE(reach.gap.has_value());
  EXPECT_EQ(reach.gap->first, 5u);
  EXPECT_EQ(reach.gap->last, 6u);
  EXPECT_FALSE(FollowChain(Segments({}), 5).gap.has_value());
}

TEST(WalChainTest, TimeTargetNeedsTheFirstSegmentWrittenAtOrAfterIt) {
  SegmentTimes segments = Segments({5, 6, 7});  // written at 1050, 1060, 1070
  EXPECT_EQ(SegmentReachingTime(segments, 5, At(1055)), 6u);
  EXPECT_EQ(SegmentReachingTime(segments, 5, At(1060)), 6u);
  EXPECT_EQ(SegmentReachingTime(segments, 5, At(1000)), 5u);
  EXPECT_EQ(SegmentReachingTime(segments, 7, At(1055)), 7u);  // only from the base on
  EXPECT_FALSE(SegmentReachingTime(segments, 5, At(1071)).has_value());
}

TEST(WalChainTest, RunsJoinWhenTheSegmentBetweenArrivesInAnyOrder) {
  SegmentRuns runs;
  AddToRuns(runs, 7, At(1070));
  AddToRuns(runs, 5, At(1050));
  AddToRuns(runs, 5, At(9999));  // already there: unchanged
  ASSERT_EQ(runs.size(), 2u);
  AddToRuns(runs, 6, At(1060));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs.begin()->second.first, 5u);
  EXPECT_EQ(runs.begin()->second.last, 7u);
  EXPECT_EQ(runs.begin()->second.first_mtime.unix_seconds, 1050);
  EXPECT_EQ(runs.begin()->second.last_mtime.unix_seconds, 1070);
}

// The summary's runs must answer every window question as the segments themselves did.
TEST(WalChainTest, FollowingRunsReachesWhatFollowingSegmentsReaches) {
  const SegmentTimes segments = Segments({2, 3, 5, 6, 7, 10, 11, 15});
  const SegmentRuns runs = RunsOf(segments);
  EXPECT_EQ(runs.size(), 4u);
  for (uint64_t from = 0; from <= 16; ++from) {
    ChainReach want = FollowChain(segments, from);
    ChainReach got = FollowRuns(runs, from);
    EXPECT_EQ(got.starts, want.starts) << from;
    EXPECT_EQ(got.last, want.last) << from;
    ASSERT_EQ(got.gap.has_value(), want.gap.has_value()) << from;
    if (want.gap) {
      EXPECT_EQ(got.gap->first, want.gap->first) << from;
      EXPECT_EQ(got.gap->last, want.gap->last) << from;
    }
  }
}

}  // namespace
}  // namespace wal_chain_test
}  // namespace hasteward::catalog
