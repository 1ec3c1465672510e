#include "engine/mariadb/relay_log_layout.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

RelayLogSettings Sandbox() {
  return {"/srv/db/data/", "relay-bin", "/srv/db/data/relay-bin", "/srv/db/data/relay-bin.index"};
}

TEST(RelayLogLayoutTest, NamesTheFilesLikeTheServerInItsDataDirectory) {
  auto layout = PlanRelayLogLayout(Sandbox(), 3);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  EXPECT_EQ(layout->files,
            (std::vector<std::string>{"relay-bin.000001", "relay-bin.000002", "relay-bin.000003"}));
  EXPECT_EQ(layout->index_file, "relay-bin.index");
  EXPECT_EQ(layout->index_content, "./relay-bin.000001\n./relay-bin.000002\n./relay-bin.000003\n");
  EXPECT_EQ(layout->first_name, "relay-bin.000001");
  EXPECT_EQ(layout->last_name, "relay-bin.000003");
}

TEST(RelayLogLayoutTest, AnAbsoluteRelayLogOptionGetsAbsoluteIndexLines) {
  RelayLogSettings settings = Sandbox();
  settings.relay_log = "/srv/db/data/relay-bin";
  auto layout = PlanRelayLogLayout(settings, 1);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  EXPECT_EQ(layout->index_content, "/srv/db/data/relay-bin.000001\n");
}

TEST(RelayLogLayoutTest, AMissingIndexNameIsTheBasenamesAndARelativeOneIsInTheDataDirectory) {
  RelayLogSettings settings = Sandbox();
  settings.relay_log_index = "";
  EXPECT_EQ(PlanRelayLogLayout(settings, 1)->index_file, "relay-bin.index");
  settings.relay_log_index = "other.index";
  EXPECT_EQ(PlanRelayLogLayout(settings, 1)->index_file, "other.index");
}

TEST(RelayLogLayoutTest, RefusesARelayLogOutsideTheDataDirectory) {
  RelayLogSettings settings = Sandbox();
  settings.relay_log_basename = "/var/log/mysql/relay-bin";
  EXPECT_EQ(PlanRelayLogLayout(settings, 1).status().code(), core::ErrorCode::kUsage);
  settings = Sandbox();
  settings.relay_log_index = "/var/log/relay-bin.index";
  EXPECT_EQ(PlanRelayLogLayout(settings, 1).status().code(), core::ErrorCode::kUsage);
  settings = Sandbox();
  settings.relay_log_basename = "/srv/db/data/sub/relay-bin";
  EXPECT_EQ(PlanRelayLogLayout(settings, 1).status().code(), core::ErrorCode::kUsage);
  EXPECT_EQ(PlanRelayLogLayout(Sandbox(), 0).status().code(), core::ErrorCode::kUsage);
}

TEST(RelayLogLayoutTest, KeepsTheServerIdWhenNoEventCarriesIt) {
  EXPECT_EQ(ReplayServerId(3, {1, 2}), 3U);
}

TEST(RelayLogLayoutTest, AppliesUnderAnUnusedIdWhenEventsCarryTheServersOwn) {
  // A restore usually replays the server's own binlog: under its own id every event is skipped.
  EXPECT_EQ(ReplayServerId(1, {1, 2}), 4294967295U);
  EXPECT_EQ(ReplayServerId(1, {1, 4294967295U}), 4294967294U);
}

TEST(RelayLogLayoutTest, PointsTheSqlThreadAtTheFilesByPosition) {
  auto layout = PlanRelayLogLayout(Sandbox(), 2);
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(ChangeMasterToRelayLogs(*layout),
            "CHANGE MASTER TO MASTER_HOST='hasteward-replay.invalid', MASTER_USE_GTID=no, "
            "RELAY_LOG_FILE='relay-bin.000001', RELAY_LOG_POS=4");
  EXPECT_EQ(StartSqlThreadUntil(*layout, 1234),
            "START SLAVE SQL_THREAD UNTIL RELAY_LOG_FILE='relay-bin.000002', RELAY_LOG_POS=1234");
}

}  // namespace
}  // namespace hasteward::engine::mariadb
