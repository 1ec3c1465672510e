// The binlog dump's packets as the receiver reads them (engine/mariadb/binlog_stream_client.h):
// the semi-sync header and its acknowledgement flag, an event's position and flags, a rotate
// event's target with and without a checksum, the acknowledgement's bytes; short or inconsistent
// packets are corruption. The live exchange with a real server is the integration test's
// (tests/integration/binlog_receiver_test.cpp).
#include "engine/mariadb/binlog_stream_client.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

void Le(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

// An event: the 19-byte header, then `body`.
std::string Event(uint8_t type, uint32_t log_pos, uint16_t flags, const std::string& body) {
  std::string event;
  Le(&event, 1763870000, 4);
  event.push_back(static_cast<char>(type));
  Le(&event, 7, 4);
  Le(&event, 19 + body.size(), 4);
  Le(&event, log_pos, 4);
  Le(&event, flags, 2);
  return event + body;
}

TEST(BinlogStreamClientTest, ASemiSyncPacketCarriesItsAcknowledgementRequest) {
  const std::string event = Event(16, 4242, 0, "xid-body");
  auto plain = ParseDumpPacket(event);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->semi_sync);
  EXPECT_FALSE(plain->ack_requested);
  EXPECT_EQ(plain->type, 16);
  EXPECT_EQ(plain->log_pos, 4242U);
  EXPECT_EQ(plain->event, event);

  // The parsed event is a view into the packet: the packet outlives it.
  const std::string wanted_packet = std::string("\xef\x01", 2) + event;
  auto wanted = ParseDumpPacket(wanted_packet);
  ASSERT_TRUE(wanted.ok());
  EXPECT_TRUE(wanted->semi_sync);
  EXPECT_TRUE(wanted->ack_requested);
  EXPECT_EQ(wanted->event, event);
  const std::string not_wanted_packet = std::string("\xef\x00", 2) + event;
  auto not_wanted = ParseDumpPacket(not_wanted_packet);
  ASSERT_TRUE(not_wanted.ok());
  EXPECT_TRUE(not_wanted->semi_sync);
  EXPECT_FALSE(not_wanted->ack_requested);
}

TEST(BinlogStreamClientTest, ShortOrInconsistentPacketsAreCorruption) {
  EXPECT_EQ(ParseDumpPacket("short").status().code(), core::ErrorCode::kCorruption);
  std::string event = Event(16, 100, 0, "body");
  EXPECT_EQ(ParseDumpPacket(event + "extra").status().code(), core::ErrorCode::kCorruption);
  EXPECT_EQ(ParseDumpPacket(event.substr(0, event.size() - 1)).status().code(),
            core::ErrorCode::kCorruption);
}

TEST(BinlogStreamClientTest, ARotateNamesTheNextFileAndOffset) {
  std::string body;
  Le(&body, 4, 8);
  body += "mariadb-bin.000003";
  auto plain = ParseRotate(Event(4, 0, 0x20, body), false);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->file, "mariadb-bin.000003");
  EXPECT_EQ(plain->position, 4U);
  auto checksummed = ParseRotate(Event(4, 0, 0x20, body + "CRC!"), true);
  ASSERT_TRUE(checksummed.ok());
  EXPECT_EQ(checksummed->file, "mariadb-bin.000003");
  EXPECT_EQ(ParseRotate(Event(4, 0, 0, "1234"), false).status().code(),
            core::ErrorCode::kCorruption);
}

TEST(BinlogStreamClientTest, TheAcknowledgementIsMagicPositionAndFileName) {
  std::string want = "\xef";
  Le(&want, 0x0102030405ULL, 8);
  want += "mariadb-bin.000002";
  EXPECT_EQ(SemiSyncAckPayload("mariadb-bin.000002", 0x0102030405ULL), want);
}

}  // namespace
}  // namespace hasteward::engine::mariadb
