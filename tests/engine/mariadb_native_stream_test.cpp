// The facts of a mariadb-backup backup, read from the files it puts in its stream, and which files
// are stored in page-aligned blocks.
#include <gtest/gtest.h>

#include "engine/mariadb/native_stream.h"

namespace hasteward::engine::mariadb {
namespace {

TEST(MariadbNativeFactsTest, BinlogInfoGivesFilePositionAndGtid) {
  auto facts = ParseBinlogInfo("mariadb-bin.000003\t1234\t0-1-42\n");
  EXPECT_EQ(facts["binlog_file"], "mariadb-bin.000003");
  EXPECT_EQ(facts["binlog_pos"], "1234");
  EXPECT_EQ(facts["gtid_position"], "0-1-42");
  auto no_gtid = ParseBinlogInfo("mariadb-bin.000001\t328\n");
  EXPECT_EQ(no_gtid["binlog_pos"], "328");
  EXPECT_FALSE(no_gtid.count("gtid_position"));
  EXPECT_TRUE(ParseBinlogInfo("").empty());
}

TEST(MariadbNativeFactsTest, SlaveInfoGivesTheReplicasGtid) {
  auto facts = ParseSlaveInfo(
      "SET GLOBAL gtid_slave_pos = '0-1-42,1-2-7';\nCHANGE MASTER TO master_use_gtid = "
      "slave_pos\n");
  EXPECT_EQ(facts["gtid_slave_pos"], "0-1-42,1-2-7");
  EXPECT_TRUE(ParseSlaveInfo("CHANGE MASTER TO MASTER_LOG_FILE='x', MASTER_LOG_POS=4").empty());
}

TEST(MariadbNativeFactsTest, GaleraInfoGivesUuidAndSeqno) {
  auto facts = ParseGaleraInfo("6d7d4a4e-a8b1-11ef-9b4e-1f2b2f1e7a6c:1532 0-1-1530\n");
  EXPECT_EQ(facts["wsrep_uuid"], "6d7d4a4e-a8b1-11ef-9b4e-1f2b2f1e7a6c");
  EXPECT_EQ(facts["wsrep_seqno"], "1532");
  EXPECT_TRUE(ParseGaleraInfo("garbage").empty());
}

TEST(MariadbNativeFactsTest, BackupInfoGivesTheMajorVersion) {
  auto facts = ParseBackupInfo(
      "uuid = 1\nname = \ntool_name = mariadb-backup\nserver_version = "
      "10.11.19-MariaDB-0+deb12u1-log\n");
  EXPECT_EQ(facts["mariadb_version"], "10.11");
}

TEST(MariadbNativeFactsTest, InnodbTablespacesAreStoredInPageBlocks) {
  EXPECT_TRUE(IsInnodbPagePath("shop/accounts.ibd"));
  EXPECT_TRUE(IsInnodbPagePath("ibdata1"));
  EXPECT_TRUE(IsInnodbPagePath("undo001"));
  EXPECT_FALSE(IsInnodbPagePath("ib_logfile0"));
  EXPECT_FALSE(IsInnodbPagePath("shop/accounts.frm"));
  EXPECT_FALSE(IsInnodbPagePath("undo_log.txt"));
  EXPECT_FALSE(IsInnodbPagePath("mysql/user.MAD"));
}

}  // namespace
}  // namespace hasteward::engine::mariadb
