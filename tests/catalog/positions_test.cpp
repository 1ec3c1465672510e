// The timeline history fact of a base backup's tags (the comparator's own tests:
// tests/engine/wal_history_test.cpp).
#include "catalog/positions.h"

#include <gtest/gtest.h>

namespace hasteward::catalog {
namespace positions_test {
namespace {

TEST(WalPositionTest, TimelineHistoryFactRoundTripsAndNamesABadEntry) {
  auto history = ParseTimelineHistoryFact("1:0/3000060,2:0/5000000");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(FormatTimelineHistoryFact(*history), "1:0/3000060,2:0/5000000");
  auto bad = ParseTimelineHistoryFact("1:0/3000060,x:0/1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'x:0/1'"), std::string::npos);
}

}  // namespace
}  // namespace positions_test
}  // namespace hasteward::catalog
