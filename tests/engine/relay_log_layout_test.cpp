#include "engine/mariadb/relay_log_layout.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "engine/mariadb/binlog_events.h"

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

// Galera: the node's own id cannot change while it runs, so its events are renumbered in the relay
// log; events of other servers keep theirs, and every renumbered event's CRC-32 matches again.
TEST(RelayLogLayoutTest, ReplacesOneServerIdInEveryEventAndRecomputesTheirChecksums) {
  const std::string magic =
      "\xfe"
      "bin";
  std::string log = magic + SourceRotateEvent("a.000001", 2, true) +
                    SourceRotateEvent("b.000001", 9, true) + SourceRotateEvent("c.000001", 2, true);
  const size_t event_size = SourceRotateEvent("a.000001", 2, true).size();
  ASSERT_TRUE(ReplaceEventServerIds(log, 2, 77, true).ok());
  for (size_t index = 0; index < 3; ++index) {
    const size_t at = magic.size() + index * event_size;
    EXPECT_EQ(LittleEndianAt(log, at + 5, 4), index == 1 ? 9U : 77U) << "event " << index;
    auto crc = ::crc32_z(0L, Z_NULL, 0);
    crc = ::crc32_z(crc, reinterpret_cast<const Bytef*>(log.data() + at), event_size - 4);
    EXPECT_EQ(LittleEndianAt(log, at + event_size - 4, 4), crc) << "event " << index;
  }
  EXPECT_EQ(log.substr(magic.size() + 27, 8), "a.000001");
}

TEST(RelayLogLayoutTest, RenumberingRefusesAnEventThatRunsPastTheEnd) {
  std::string log =
      "\xfe"
      "bin" +
      SourceRotateEvent("a.000001", 2, true);
  log.pop_back();
  EXPECT_EQ(ReplaceEventServerIds(log, 2, 77, true).code(), core::ErrorCode::kCorruption);
}

// A format description event's checksum covers it with LOG_EVENT_BINLOG_IN_USE_F clear (the
// server sets that flag in place while the file is open); a renumbered one keeps the rule.
TEST(RelayLogLayoutTest, RenumberingAnOpenFilesFormatDescriptionKeepsItsChecksumRule) {
  auto event_with_flags = [](uint16_t flags) {
    std::string event(19 + 8, '\0');
    event[4] = 15;  // FORMAT_DESCRIPTION_EVENT
    event[5] = 2;   // server id 2
    event[9] = static_cast<char>(event.size() + 4);
    event[17] = static_cast<char>(flags);
    return event;
  };
  auto crc_of = [](const std::string& bytes) {
    auto crc = ::crc32_z(0L, Z_NULL, 0);
    return ::crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
  };
  std::string open = event_with_flags(0x1);
  std::string closed = event_with_flags(0x0);
  std::string log =
      "\xfe"
      "bin" +
      open;
  for (int byte = 0; byte < 4; ++byte)
    log.push_back(static_cast<char>((crc_of(closed) >> (8 * byte)) & 0xff));
  ASSERT_TRUE(ReplaceEventServerIds(log, 2, 77, true).ok());
  EXPECT_EQ(LittleEndianAt(log, 4 + 5, 4), 77U);
  EXPECT_EQ(LittleEndianAt(log, 4 + 17, 2), 0x1U) << "the in-use flag stays as it was";
  std::string renumbered_closed = log.substr(4, closed.size());
  renumbered_closed[17] = 0;
  EXPECT_EQ(LittleEndianAt(log, 4 + closed.size(), 4), crc_of(renumbered_closed));
}

}  // namespace
}  // namespace hasteward::engine::mariadb
