#include "engine/mariadb/binlog_source.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

TEST(BinlogSourceTest, OnlyPlainFileNamesAreRead) {
  EXPECT_TRUE(IsPlainBinlogFileName("mariadb-bin.000003"));
  EXPECT_TRUE(IsPlainBinlogFileName("my_host-bin.000001"));
  EXPECT_FALSE(IsPlainBinlogFileName(""));
  EXPECT_FALSE(IsPlainBinlogFileName("../etc/shadow"));
  EXPECT_FALSE(IsPlainBinlogFileName(".hidden"));
  EXPECT_FALSE(IsPlainBinlogFileName("a b"));
  EXPECT_FALSE(IsPlainBinlogFileName("bin;rm"));
}

TEST(BinlogSourceTest, GtidStatesAdvanceMergeAndInclude) {
  MariadbBinlogSource source(false);
  EXPECT_EQ(source.AdvanceGtidState("0-1-4", {"0-1-5", "1-2-1", "0-1-6"}), "0-1-6,1-2-1");
  EXPECT_EQ(source.AdvanceGtidState("", {"0-1-1"}), "0-1-1");
  // Per domain the furthest: a switchover's new server id continues the sequence.
  EXPECT_EQ(source.MergeGtidStates({"0-1-6,1-2-1", "0-2-9", ""}), "0-2-9,1-2-1");
  EXPECT_TRUE(source.StateIncludes("0-2-9,1-2-1", "0-1-6"));
  EXPECT_TRUE(source.StateIncludes("0-2-9,1-2-1", "0-2-9,1-2-1"));
  EXPECT_FALSE(source.StateIncludes("0-2-9", "0-2-9,1-2-1"));
  EXPECT_FALSE(source.StateIncludes("0-1-6", "0-1-7"));
}

TEST(BinlogSourceTest, GaleraComparesTheClusterDomainBySequenceNumber) {
  // A restored Galera cluster stamps the replayed write sets with its bootstrap node's server id.
  MariadbBinlogSource galera(true);
  EXPECT_TRUE(galera.StateIncludes("1-2-11", "1-1-11"));
  EXPECT_TRUE(galera.StateIncludes("1-1-11", "1-2-11"));
  EXPECT_TRUE(galera.StateIncludes("1-2-12", "1-1-11"));
  EXPECT_FALSE(galera.StateIncludes("1-2-11", "1-1-12"));
  EXPECT_FALSE(galera.StateIncludes("1-2-11", "1-1-11,2-2-1"));
  // Replication keeps the server id: the same sequence number from two servers is a fork.
  MariadbBinlogSource replication(false);
  EXPECT_FALSE(replication.StateIncludes("1-2-11", "1-1-11"));
}

}  // namespace
}  // namespace hasteward::engine::mariadb
