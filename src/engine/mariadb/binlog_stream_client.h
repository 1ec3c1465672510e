// engine/mariadb/binlog_stream_client: the MariaDB side of engine/binlog_stream.h. Connector/C
// connects, authenticates and sends COM_BINLOG_DUMP (mariadb_rpl_open); the packets are then read
// here, not with mariadb_rpl_fetch, which acknowledges a semi-synchronous event as soon as it
// arrives — before it is durable anywhere. A reader thread blocks on the socket and queues what
// it reads, so Next can wait with a bound and Acknowledge can write while a read waits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "engine/binlog_stream.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// What one replication packet's payload holds (after the OK byte), parsed by ParseDumpPacket.
struct DumpPacket {
  bool semi_sync = false;      // it came with the semi-synchronous header
  bool ack_requested = false;  // the writer waits for it
  uint8_t type = 0;            // the event type
  uint32_t log_pos = 0;        // the event header's next position (0: artificial)
  uint16_t flags = 0;
  std::string_view event;  // the event, header to checksum
};

// Parses `payload` (a dump packet without its leading status byte). kCorruption for a packet too
// short for an event header or whose length field disagrees with it.
core::Result<DumpPacket> ParseDumpPacket(std::string_view payload);

// A rotate event's target: the file and the offset the events that follow start at.
struct RotateTarget {
  std::string file;
  uint64_t position = 0;
};
// Reads a rotate event (`checksums`: it ends with a CRC-32). kCorruption when too short.
core::Result<RotateTarget> ParseRotate(std::string_view event, bool checksums);

// The ack packet's payload: the semi-sync magic byte, the position (8 bytes, little-endian), the
// file name.
std::string SemiSyncAckPayload(const std::string& file, uint64_t position);

// Opens a dump of `file` from `offset` on the instance behind `handle` (the stream keeps the
// handle: a port-forward lives as long as the stream).
core::Result<std::unique_ptr<BinlogStream>> OpenMariadbBinlogStream(
    std::unique_ptr<platform::InstanceHandle> handle, const std::string& file, uint64_t offset);

}  // namespace hasteward::engine::mariadb
