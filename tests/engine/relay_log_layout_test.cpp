#include "engine/mariadb/relay_log_layout.h"

#include <gtest/gtest.h>
#include <zlib.h>

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
}

uint64_t LittleEndianAt(const std::string& bytes, size_t at, size_t width) {
  uint64_t value = 0;
  for (size_t byte = width; byte > 0; --byte) {
    value = (value << 8) | static_cast<uint8_t>(bytes[at + byte - 1]);
  }
  return value;
}

TEST(RelayLogLayoutTest, TheSourceRotateEventIsAnArtificialRotateToPosition4) {
  std::string event = SourceRotateEvent("replay-bin.000002", 7, true);
  ASSERT_EQ(event.size(), 19U + 8 + 17 + 4);
  EXPECT_EQ(LittleEndianAt(event, 4, 1), 4U);  // ROTATE_EVENT
  EXPECT_EQ(LittleEndianAt(event, 5, 4), 7U);  // server id
  EXPECT_EQ(LittleEndianAt(event, 9, 4), event.size());
  EXPECT_EQ(LittleEndianAt(event, 13, 4), 0U);  // log_pos
  EXPECT_EQ(LittleEndianAt(event, 17, 2), 0x20U);
  EXPECT_EQ(LittleEndianAt(event, 19, 8), 4U);
  EXPECT_EQ(event.substr(27, 17), "replay-bin.000002");
  auto crc = ::crc32_z(0L, Z_NULL, 0);
  crc = ::crc32_z(crc, reinterpret_cast<const Bytef*>(event.data()), event.size() - 4);
  EXPECT_EQ(LittleEndianAt(event, event.size() - 4, 4), crc);
  EXPECT_EQ(SourceRotateEvent("replay-bin.000002", 7, false).size(), 19U + 8 + 17);
}

TEST(RelayLogLayoutTest, ARelayLogNeedsABinlogToStartFrom) {
  EXPECT_EQ(RelayLogFromBinlog("not a binlog", "x").status().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::engine::mariadb
