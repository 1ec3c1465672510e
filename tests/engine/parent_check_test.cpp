// ParentMismatch on hand-built facts: what a parent must share with the starting backup before
// its pages may stand for this backup's (the WAL comparison comes after, parent_ancestry_test).
#include "engine/postgres/parent_check.h"

#include <gtest/gtest.h>

namespace hasteward::engine::postgres {
namespace parent_check_test {
namespace {

const std::map<std::string, std::string> kParent = {{"system_identifier", "7"},
                                                    {"timeline", "2"},
                                                    {"start_lsn", "0/3000028"},
                                                    {"stop_lsn", "0/3000100"},
                                                    {"data_checksums", "on"}};
const std::map<std::string, std::string> kNow = {
    {"system_identifier", "7"}, {"timeline", "2"}, {"data_checksums", "on"}};
constexpr uint64_t kStart = 0x5000028;

TEST(ParentCheckTest, AParentOfTheSameHistoryBeforeThisStartPasses) {
  EXPECT_EQ(ParentMismatch(kParent, kNow, kStart, true), FullReadReason::kNone);
  ParentInterval interval = IntervalOf(kParent);
  EXPECT_EQ(interval.timeline, 2u);
  EXPECT_EQ(interval.start_lsn, 0x3000028u);
  EXPECT_EQ(interval.stop_lsn, 0x3000100u);
}

TEST(ParentCheckTest, AnotherSystemOrTimelineReadsEverything) {
  auto other = kNow;
  other["system_identifier"] = "8";
  EXPECT_EQ(ParentMismatch(kParent, other, kStart, true), FullReadReason::kOtherSystem);
  other = kNow;
  other["timeline"] = "3";
  EXPECT_EQ(ParentMismatch(kParent, other, kStart, true), FullReadReason::kTimelineChanged);
}

TEST(ParentCheckTest, AParentThatStoppedAfterThisStartIsAhead) {
  // Two overlapping backups of one standby: the parent copied pages until 0/5000100.
  auto overlapping = kParent;
  overlapping["stop_lsn"] = "0/5000100";
  EXPECT_EQ(ParentMismatch(overlapping, kNow, kStart, true), FullReadReason::kParentAhead);
  auto no_stop = kParent;
  no_stop.erase("stop_lsn");
  EXPECT_EQ(ParentMismatch(no_stop, kNow, kStart, true), FullReadReason::kParentAhead);
  EXPECT_EQ(ParentMismatch(kParent, kNow, 0x3000000, true), FullReadReason::kParentAhead);
}

TEST(ParentCheckTest, AChecksumStateThatChangedOrWasNeverRecordedReadsEverything) {
  auto enabled = kNow;
  auto parent = kParent;
  parent["data_checksums"] = "off";
  EXPECT_EQ(ParentMismatch(parent, enabled, kStart, true), FullReadReason::kChecksumsChanged);
  parent.erase("data_checksums");
  EXPECT_EQ(ParentMismatch(parent, enabled, kStart, true), FullReadReason::kChecksumsChanged);
  EXPECT_EQ(ParentMismatch(kParent, kNow, kStart, false), FullReadReason::kNoFullPageWrites);
}

}  // namespace
}  // namespace parent_check_test
}  // namespace hasteward::engine::postgres
