#include "engine/mariadb/semisync_primary.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

TEST(EnablesSemisyncMasterTest, ReadsTheLastSettingInEitherSpelling) {
  EXPECT_TRUE(EnablesSemisyncMaster("--port=3306\n--rpl_semi_sync_master_enabled=ON\n"));
  EXPECT_TRUE(EnablesSemisyncMaster("--rpl-semi-sync-master-enabled=1\n"));
  EXPECT_TRUE(EnablesSemisyncMaster("--rpl_semi_sync_master_enabled\n"));
  EXPECT_FALSE(
      EnablesSemisyncMaster("--rpl_semi_sync_master_enabled=ON\n"
                            "--rpl_semi_sync_master_enabled=OFF\n"))
      << "a later line overrides an earlier one";
}

TEST(EnablesSemisyncMasterTest, TheSlaveSideOrNothingIsNotTheMasterSide) {
  EXPECT_FALSE(EnablesSemisyncMaster("--rpl_semi_sync_slave_enabled=ON\n"));
  EXPECT_FALSE(EnablesSemisyncMaster("--rpl_semi_sync_master_timeout=10000\n"));
  EXPECT_FALSE(EnablesSemisyncMaster(""));
}

}  // namespace
}  // namespace hasteward::engine::mariadb
