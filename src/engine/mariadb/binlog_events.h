// engine/mariadb/binlog_events: reads MariaDB binlog bytes (the v4 format: 4-byte magic, then
// events with a 19-byte header) without the server: where each whole transaction (event group)
// starts and ends, its GTID and time, and the GTID state the file starts from. The archiver ships
// only whole transactions, so a piece never ends mid-transaction, even in the file being written.
// Pure functions; every length and position is checked (a cut or corrupt file is an error, never a
// shorter answer presented as whole).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hasteward::engine::mariadb {

// The event types this scanner tells apart (MariaDB's Log_event_type numbers, sql/log_event.h);
// any other type is carried inside a transaction without being read.
enum class BinlogEventType : uint8_t {
  kQuery = 2,
  kStop = 3,
  kRotate = 4,
  kIntvar = 5,
  kRand = 13,
  kUserVar = 14,
  kFormatDescription = 15,
  kXid = 16,
  kTableMap = 19,
  kIncident = 26,
  kXaPrepare = 38,  // MySQL's number, which MariaDB shares (not one of its own 160+ types)
  kAnnotateRows = 160,
  kBinlogCheckpoint = 161,
  kGtid = 162,
  kGtidList = 163,
  kStartEncryption = 164,
};

// The code of "the head is too short to hold the whole header yet; read more and call again"
// (core/status.h has no kUnavailable; the status is also marked retryable).
inline constexpr core::ErrorCode kBinlogHeadTooShort = core::ErrorCode::kIncompleteInput;

struct BinlogGtid {
  uint32_t domain = 0;
  uint32_t server_id = 0;
  uint64_t sequence = 0;
  std::string ToString() const;  // "0-1-42"
};

// What the start of a binlog file says about all of it.
struct BinlogHeader {
  // Events end with a CRC-32 (binlog_checksum=CRC32), from the format description event.
  bool checksums = false;
  // The format description event's timestamp (seconds since the epoch): together with the server
  // id and the file name it tells two files of the same name apart (a server whose numbering
  // started again).
  uint32_t created = 0;
  uint32_t server_id = 0;  // the server id in the format description event's header
  // The Gtid_list event: the GTID state before this file ("0-1-10,1-2-3", sorted by domain; empty
  // when none).
  std::string gtid_list;
  // Offset after the format description, Gtid_list and (first) Binlog_checkpoint events (where the
  // first transaction starts).
  uint64_t header_end = 0;
};

struct BinlogTransaction {
  BinlogGtid gtid;
  uint64_t start_offset = 0;  // offset of its GTID event in the file
  uint64_t end_offset = 0;    // offset just past its last event
  uint32_t timestamp = 0;     // the GTID event's header timestamp
};

struct BinlogScan {
  std::vector<BinlogTransaction> transactions;  // the whole transactions in the bytes, in order
  // File offset after the last whole transaction and the whole events between transactions that
  // follow it (Binlog_checkpoint, Incident, the sealing Rotate or Stop); the start offset of the
  // bytes when there is none. Bytes after it belong to an unfinished transaction or a partly
  // written event; a later scan starts here.
  uint64_t complete_end = 0;
  bool sealed = false;  // a Rotate or Stop event ends the file: nothing more will be written to it
  uint64_t sealed_end = 0;  // when sealed: the file offset after that event (the file's end)
};

// Reads the header from the first bytes of a file. kBinlogHeadTooShort (retryable) when `head` is
// too short to hold the whole header yet (read more); kCorruption for a wrong magic or an event
// whose sizes, positions or checksum do not add up; kUsage for an encrypted binlog.
core::Result<BinlogHeader> ReadBinlogHeader(std::string_view head);

// Scans `bytes`, which start at file offset `offset` (>= header.header_end, and at an event
// boundary — the archiver passes header_end or a previous complete_end). Events are checked: size
// within bounds, the header's end position (log_pos) equal to offset+size, and the CRC-32 when
// header.checksums. kCorruption on a mismatch, naming the offset. An incomplete last event is not
// an error (the file is being written): the scan stops before it.
core::Result<BinlogScan> ScanBinlog(std::string_view bytes, uint64_t offset,
                                    const BinlogHeader& header);

// The server ids in the headers of every event of a whole binlog file (magic included), which
// need not be the one the server wrote: a replay file holds a header and chosen transactions, so
// only the event sizes are followed (no positions, no checksums). kCorruption for a wrong magic or
// an event that does not fit.
core::Result<std::set<uint32_t>> BinlogEventServerIds(std::string_view file);

// `relay_log` (magic, then whole events; `checksums` as its format description says) with every
// event's server id `from` changed to `to`, each changed event's CRC-32 recomputed (a format
// description's with LOG_EVENT_BINLOG_IN_USE_F clear, as the server computes it). For a server
// whose own id cannot change while it runs (a Galera node under wsrep_gtid_mode): the applier
// would skip the events carrying it. kCorruption when an event does not fit in the file.
core::Status ReplaceEventServerIds(std::string& relay_log, uint32_t from, uint32_t to,
                                   bool checksums);

// A transaction's start in a replay file: its GTID event's offset and GTID.
struct ReplayFileTransaction {
  uint64_t offset = 0;
  BinlogGtid gtid;
};

// The transactions of a replay file, in order, found as BinlogEventServerIds finds the ids: by
// the event sizes only. kCorruption as there, or for a GTID event too short for its GTID.
core::Result<std::vector<ReplayFileTransaction>> ReplayFileTransactions(std::string_view file);

}  // namespace hasteward::engine::mariadb
