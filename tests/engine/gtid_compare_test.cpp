// GTID position comparison: the decision under "has the candidate applied exactly the final set"
// and "which replica is the most advanced".
#include "engine/mariadb/gtid_compare.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

TEST(GtidCompareTest, SamePositionsInAnyOrderAreEqual) {
  EXPECT_EQ(CompareGtidPositions("0-1-42,1-2-7", "1-2-7, 0-1-42"), GtidOrder::kEqual);
  EXPECT_EQ(CompareGtidPositions("", ""), GtidOrder::kEqual);
}

TEST(GtidCompareTest, ALowerSequenceNumberIsBehind) {
  EXPECT_EQ(CompareGtidPositions("0-1-41", "0-1-42"), GtidOrder::kBehind);
  EXPECT_EQ(CompareGtidPositions("0-1-42", "0-1-41"), GtidOrder::kAhead);
}

TEST(GtidCompareTest, AMissingDomainIsBehindInThatDomain) {
  EXPECT_EQ(CompareGtidPositions("0-1-42", "0-1-42,1-2-1"), GtidOrder::kBehind);
  EXPECT_EQ(CompareGtidPositions("0-1-42,1-2-1", "0-1-42"), GtidOrder::kAhead);
  EXPECT_EQ(CompareGtidPositions("", "0-1-1"), GtidOrder::kBehind);
}

TEST(GtidCompareTest, AheadInOneDomainAndBehindInAnotherIsDiverged) {
  EXPECT_EQ(CompareGtidPositions("0-1-43,1-2-1", "0-1-42,1-2-5"), GtidOrder::kDiverged);
}

// Under gtid_strict_mode the same sequence number from two servers is two transactions: the
// instances forked at that point, even though neither "has more".
TEST(GtidCompareTest, SameSequenceNumberFromAnotherServerIsDiverged) {
  EXPECT_EQ(CompareGtidPositions("0-2-42", "0-1-42"), GtidOrder::kDiverged);
}

TEST(GtidCompareTest, WellFormedListsParseAndGarbageDoesNot) {
  EXPECT_TRUE(IsWellFormedGtidList(""));
  EXPECT_TRUE(IsWellFormedGtidList("0-1-42"));
  EXPECT_TRUE(IsWellFormedGtidList("0-1-42,\n1-2-7"));
  EXPECT_FALSE(IsWellFormedGtidList("0-1-42x"));
  EXPECT_FALSE(IsWellFormedGtidList("0-1"));
  EXPECT_FALSE(IsWellFormedGtidList("0-1-42,,1-2-7"));
}

}  // namespace
}  // namespace hasteward::engine::mariadb
