#include "engine/binlog_archiving.h"

#include <gtest/gtest.h>

namespace hasteward::engine {
namespace {

TEST(BinlogArchivingTest, NamesEachApplier) {
  EXPECT_STREQ(BinlogApplierName(BinlogApplier::kParallel), "parallel");
  EXPECT_STREQ(BinlogApplierName(BinlogApplier::kClient), "client");
}

TEST(BinlogArchivingTest, AReplayReportDefaultsToTheClient) {
  BinlogReplayReport report;
  EXPECT_EQ(report.applier, BinlogApplier::kClient);
  EXPECT_EQ(report.threads, 1U);
}

}  // namespace
}  // namespace hasteward::engine
