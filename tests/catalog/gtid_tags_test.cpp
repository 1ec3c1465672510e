// The highest GTID domain a cluster's snapshots name (a restore's new history starts above it):
// a backup's gtid_position and gtid_slave_pos, and the binlog archive's piece and rewind states,
// where a comma is written as '+'.
#include <gtest/gtest.h>

#include "catalog/positions.h"

namespace hasteward::catalog {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace gtid_domains_test {
namespace {

repo::Snapshot WithTags(std::vector<std::string> tags) {
  repo::Snapshot snapshot;
  snapshot.tags = std::move(tags);
  return snapshot;
}

// As a native backup of a two-domain position is stored: split at the commas like restic --tag.
TEST(GtidTagValueTest, APositionSplitAtItsCommasIsReadBackWhole) {
  const std::vector<std::string> tags = {
      "method=native", "gtid_position=0-1-11", "1-1-1", "gtid_slave_pos=0-1-11", "1-1-1",
      "2-3-4",         "mariadb_version=10.11"};
  EXPECT_EQ(GtidTagValue(tags, "gtid_position"), "0-1-11,1-1-1");
  EXPECT_EQ(GtidTagValue(tags, "gtid_slave_pos"), "0-1-11,1-1-1,2-3-4");
  EXPECT_EQ(GtidTagValue({"gtid_position=0-1-11", "keep", "1-1-1"}, "gtid_position"), "0-1-11");
  EXPECT_EQ(GtidTagValue({"gtid_position="}, "gtid_position"), "");
  EXPECT_FALSE(GtidTagValue(tags, "gtid_binlog_pos").has_value());
  EXPECT_EQ(NewestGtidDomain({WithTags(tags)}), 2u);
}

TEST(NewestGtidDomainTest, TheHighestDomainOfEverySnapshotsGtidTags) {
  EXPECT_EQ(NewestGtidDomain({WithTags({"engine=mariadb", "gtid_position=0-1-42"}),
                              WithTags({"gtid_position=0-1-60,3-1-5", "gtid_slave_pos=0-1-60"}),
                              WithTags({"gtid_slave_pos=0-1-7,2-2-9"})}),
            3u);
}

TEST(NewestGtidDomainTest, TheBinlogArchivesPieceAndRewindStatesCount) {
  EXPECT_EQ(NewestGtidDomain({WithTags({"binlog_piece=4-900/sealed/1700000000/1700/0-1-42+5-1-3/"
                                        "mariadb-bin.000001@1"})}),
            5u);
  EXPECT_EQ(NewestGtidDomain({WithTags({"binlog_rewind_state=0-1-42+7-1-1"})}), 7u);
}

TEST(NewestGtidDomainTest, NoneWithoutGtidTagsAndMalformedEntriesAreSkipped) {
  EXPECT_FALSE(NewestGtidDomain({}).has_value());
  EXPECT_FALSE(NewestGtidDomain({WithTags({"engine=postgres", "timeline=3", "stop_lsn=0/3000"})})
                   .has_value());
  EXPECT_FALSE(
      NewestGtidDomain({WithTags({"gtid_position=x-1-2,9", "binlog_piece=1-2/open"})}).has_value());
  EXPECT_EQ(NewestGtidDomain({WithTags({"gtid_position="}), WithTags({"gtid_position=0-1-1"})}),
            0u);
}

}  // namespace
}  // namespace gtid_domains_test
}  // namespace hasteward::catalog
