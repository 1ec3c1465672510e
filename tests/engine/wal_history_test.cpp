// WAL positions: their text form and the one comparator, which orders positions on different
// timelines only through a history (a timeline is a fork).
#include "engine/wal_history.h"

#include <gtest/gtest.h>

namespace hasteward::engine {
namespace wal_history_test {
namespace {

TEST(WalPositionTest, LsnTextRoundTripsAndRejectsWhatPostgresNeverWrites) {
  EXPECT_EQ(ParseLsnText("0/3000A38"), 0x3000A38u);
  EXPECT_EQ(ParseLsnText("1/0"), uint64_t{1} << 32);
  EXPECT_EQ(FormatLsnText(0x10003000A38), "100/3000A38");
  for (const char* bad : {"", "0", "/1", "1/", "0/3000A38x", "123456789/0", "-1/0"}) {
    EXPECT_FALSE(ParseLsnText(bad).has_value()) << bad;
  }
}

TEST(WalPositionTest, OnOneTimelineTheLsnOrders) {
  EXPECT_EQ(CompareWalPositions({1, 10}, {}, {1, 20}, {}), PositionOrder::kBefore);
  EXPECT_EQ(CompareWalPositions({1, 20}, {}, {1, 20}, {}), PositionOrder::kSame);
  EXPECT_EQ(CompareWalPositions({1, 30}, {}, {1, 20}, {}), PositionOrder::kAfter);
}

TEST(WalPositionTest, AcrossTimelinesOnlyTheHistoryOrders) {
  const std::vector<TimelineBranch> two = {{1, 100}};  // timeline 2 left 1 at 100
  EXPECT_EQ(CompareWalPositions({1, 90}, {}, {2, 50}, two), PositionOrder::kBefore);
  EXPECT_EQ(CompareWalPositions({1, 100}, {}, {2, 50}, two), PositionOrder::kBefore);
  // Past the fork on the old timeline: writes the new history never saw.
  EXPECT_EQ(CompareWalPositions({1, 150}, {}, {2, 500}, two), PositionOrder::kDiverged);
  EXPECT_EQ(CompareWalPositions({2, 500}, two, {1, 90}, {}), PositionOrder::kAfter);
  EXPECT_EQ(CompareWalPositions({2, 500}, two, {1, 150}, {}), PositionOrder::kDiverged);
  // A sibling timeline the history never passed through, and a history not recorded.
  EXPECT_EQ(CompareWalPositions({3, 1}, {{1, 100}}, {2, 500}, two), PositionOrder::kDiverged);
  EXPECT_EQ(CompareWalPositions({1, 1}, {}, {2, 500}, {}), PositionOrder::kUnknown);
  EXPECT_STREQ(PositionOrderName(PositionOrder::kDiverged), "diverged");
}

}  // namespace
}  // namespace wal_history_test
}  // namespace hasteward::engine
