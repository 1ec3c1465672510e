#include "engine/mariadb/binlog_events.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>

#include <zlib.h>

namespace hasteward::engine::mariadb {

namespace {

constexpr std::string_view kBinlogMagic{
    "\xfe"
    "bin",
    4};
constexpr uint64_t kFirstEventOffset = 4;
constexpr size_t kEventHeaderSize = 19;
constexpr size_t kChecksumSize = 4;
// Event header fields: timestamp u32, type u8, server_id u32, event_size u32, log_pos u32,
// flags u16 (little-endian).
constexpr size_t kTimestampAt = 0;
constexpr size_t kTypeAt = 4;
constexpr size_t kServerIdAt = 5;
constexpr size_t kEventSizeAt = 9;
constexpr size_t kLogPosAt = 13;
constexpr size_t kEventFlagsAt = 17;
// LOG_EVENT_BINLOG_IN_USE_F: the file is open (the server clears it when it closes the file).
constexpr uint8_t kBinlogInUseFlag = 0x1;

// Format description body: binlog version u16, server version char[50], create time u32, header
// length u8, one post-header length per event type, then the checksum algorithm u8 and a CRC-32
// field that MariaDB writes whatever the algorithm (so the algorithm byte is always 5 from the
// end).
constexpr uint16_t kBinlogVersion = 4;
constexpr size_t kFdeHeaderLengthAt = 2 + 50 + 4;
constexpr size_t kFdePostHeaderLengthsAt = kFdeHeaderLengthAt + 1;
constexpr size_t kFdeChecksumTrailer = 1 + kChecksumSize;
enum class ChecksumAlgorithm : uint8_t { kOff = 0, kCrc32 = 1 };

// Query post-header: thread id u32, exec time u32, db length u8, error code u16, status variables
// length u16; then the status variables, the db name and a NUL, then the statement.
constexpr size_t kQueryPostHeaderSize = 13;
constexpr size_t kQueryDbLengthAt = 8;
constexpr size_t kQueryStatusVarsLengthAt = 11;

// GTID post-header: sequence u64, domain u32, flags2 u8 (then optional commit id / XA xid).
constexpr size_t kGtidMinBodySize = 13;
constexpr size_t kGtidDomainAt = 8;
constexpr size_t kGtidFlagsAt = 12;
// FL_STANDALONE: no terminating COMMIT/XID event; the group is the GTID event and one statement.
constexpr uint8_t kGtidStandaloneFlag = 1;

// Gtid_list: count u32 (the low 28 bits; the top 4 are flags, never set in a binlog file), then
// count x (domain u32, server_id u32, sequence u64).
constexpr uint32_t kGtidListCountMask = 0x0fffffff;
constexpr size_t kGtidListEntrySize = 16;

uint64_t LittleEndian(std::string_view bytes, size_t at, size_t width) {
  uint64_t value = 0;
  for (size_t i = width; i > 0; --i) {
    value = (value << 8) | static_cast<uint8_t>(bytes[at + i - 1]);
  }
  return value;
}

uint32_t Crc32(std::string_view data) {
  auto crc = ::crc32_z(0L, Z_NULL, 0);
  crc = ::crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), data.size());
  return static_cast<uint32_t>(crc);
}

std::string EventTypeName(BinlogEventType type) {
  switch (type) {
    case BinlogEventType::kQuery: return "Query";
    case BinlogEventType::kStop: return "Stop";
    case BinlogEventType::kRotate: return "Rotate";
    case BinlogEventType::kIntvar: return "Intvar";
    case BinlogEventType::kRand: return "Rand";
    case BinlogEventType::kUserVar: return "User_var";
    case BinlogEventType::kFormatDescription: return "Format_description";
    case BinlogEventType::kXid: return "Xid";
    case BinlogEventType::kTableMap: return "Table_map";
    case BinlogEventType::kIncident: return "Incident";
    case BinlogEventType::kAnnotateRows: return "Annotate_rows";
    case BinlogEventType::kBinlogCheckpoint: return "Binlog_checkpoint";
    case BinlogEventType::kGtid: return "GTID";
    case BinlogEventType::kGtidList: return "Gtid_list";
    case BinlogEventType::kStartEncryption: return "Start_encryption";
    case BinlogEventType::kXaPrepare: return "XA_prepare";
  }
  return "type " + std::to_string(static_cast<int>(type));
}

core::Status CorruptAt(uint64_t offset, const std::string& what) {
  return core::Corruption("binlog event at offset " + std::to_string(offset) + ": " + what)
      .WithHint(
          "the binlog file is damaged or not a MariaDB binlog; compare it with "
          "'mariadb-binlog --hexdump' and archive from an intact copy (a replica's or a backup's)");
}

core::Status HeadTooShort(size_t have, const std::string& missing) {
  return core::Status(kBinlogHeadTooShort,
                      "binlog head of " + std::to_string(have) + " bytes ends before " + missing,
                      "read more of the file and try again")
      .SetRetryable();
}

// One whole event found in the bytes.
struct Event {
  uint64_t offset = 0;  // file offset of its first byte
  uint32_t timestamp = 0;
  BinlogEventType type{};
  uint32_t server_id = 0;
  std::string_view whole;  // header, body and checksum
  std::string_view body;   // after the header, without the checksum
  uint64_t end() const { return offset + whole.size(); }
};

// The event at bytes[at] (file offset base_offset + at); nullopt when the bytes end before it does.
// The header's own claims are checked before waiting for the rest, so a damaged size is reported
// as corruption instead of being waited for as an event still being written.
core::Result<std::optional<Event>> ReadEvent(std::string_view bytes, uint64_t base_offset,
                                             size_t at, bool checksums) {
  if (bytes.size() - at < kEventHeaderSize)
    return std::optional<Event>();
  Event event;
  event.offset = base_offset + at;
  event.timestamp = static_cast<uint32_t>(LittleEndian(bytes, at + kTimestampAt, 4));
  event.type = static_cast<BinlogEventType>(bytes[at + kTypeAt]);
  event.server_id = static_cast<uint32_t>(LittleEndian(bytes, at + kServerIdAt, 4));
  const uint64_t size = LittleEndian(bytes, at + kEventSizeAt, 4);
  const uint64_t log_pos = LittleEndian(bytes, at + kLogPosAt, 4);
  const size_t min_size = kEventHeaderSize + (checksums ? kChecksumSize : 0);
  if (size < min_size) {
    return CorruptAt(event.offset, "size " + std::to_string(size) + " is below the minimum " +
                                       std::to_string(min_size));
  }
  // log_pos is 32 bits wide, so past 4 GiB it wraps: compare modulo 2^32.
  if (log_pos != static_cast<uint32_t>(event.offset + size)) {
    return CorruptAt(event.offset, "end position (log_pos) " + std::to_string(log_pos) +
                                       " is not offset + size " +
                                       std::to_string(event.offset + size));
  }
  if (bytes.size() - at < size)
    return std::optional<Event>();
  event.whole = bytes.substr(at, size);
  const size_t checksum_size = checksums ? kChecksumSize : 0;
  if (checksums) {
    const auto stored = static_cast<uint32_t>(LittleEndian(event.whole, size - kChecksumSize, 4));
    if (Crc32(event.whole.substr(0, size - kChecksumSize)) != stored) {
      return CorruptAt(event.offset, EventTypeName(event.type) + " event fails its CRC-32");
    }
  }
  event.body = event.whole.substr(kEventHeaderSize, size - kEventHeaderSize - checksum_size);
  return std::optional<Event>(event);
}

// The format description event starts every file and says whether events carry a CRC-32.
core::Result<BinlogHeader> ReadFormatDescription(const Event& event) {
  if (event.type != BinlogEventType::kFormatDescription) {
    return CorruptAt(event.offset, "a " + EventTypeName(event.type) +
                                       " event where the format description event belongs");
  }
  std::string_view body = event.body;  // read without a checksum: the algorithm is inside
  const size_t query_length_at =
      kFdePostHeaderLengthsAt + static_cast<size_t>(BinlogEventType::kQuery) - 1;
  if (body.size() < query_length_at + 1 + kFdeChecksumTrailer)
    return CorruptAt(event.offset, "format description event too short");
  if (LittleEndian(body, 0, 2) != kBinlogVersion)
    return CorruptAt(event.offset, "binlog format version is not 4");
  if (static_cast<uint8_t>(body[kFdeHeaderLengthAt]) != kEventHeaderSize)
    return CorruptAt(event.offset, "event header length is not 19");
  // The statement of a Query event is found from its post-header length (a fixed 13 since 5.0).
  if (static_cast<uint8_t>(body[query_length_at]) != kQueryPostHeaderSize)
    return CorruptAt(event.offset, "Query post-header length is not 13");
  BinlogHeader header;
  const auto algorithm = static_cast<ChecksumAlgorithm>(body[body.size() - kFdeChecksumTrailer]);
  if (algorithm == ChecksumAlgorithm::kCrc32) {
    header.checksums = true;
    const size_t checked = event.whole.size() - kChecksumSize;
    // The server sets LOG_EVENT_BINLOG_IN_USE_F in a file's format description event while the
    // file is open and clears it at close, in place, without recomputing the checksum: the
    // checksum covers the event with that flag clear. (An open file's event fails the plain
    // check, which is how the first archiving attempt of a live server found this.)
    std::string as_closed(event.whole.substr(0, checked));
    as_closed[kEventFlagsAt] =
        static_cast<char>(static_cast<uint8_t>(as_closed[kEventFlagsAt]) & ~kBinlogInUseFlag);
    if (Crc32(as_closed) != LittleEndian(event.whole, checked, 4))
      return CorruptAt(event.offset, "format description event fails its CRC-32");
  } else if (algorithm != ChecksumAlgorithm::kOff) {
    return CorruptAt(event.offset,
                     "unknown checksum algorithm " + std::to_string(static_cast<int>(algorithm)));
  }
  header.created = event.timestamp;
  header.server_id = event.server_id;
  return header;
}

core::Result<std::string> ReadGtidList(const Event& event) {
  std::string_view body = event.body;
  if (body.size() < 4)
    return CorruptAt(event.offset, "Gtid_list event too short");
  const uint64_t count = LittleEndian(body, 0, 4) & kGtidListCountMask;
  // At least the entries: MariaDB 10.11 writes an empty list with two zero bytes after the count.
  if (body.size() < 4 + count * kGtidListEntrySize) {
    return CorruptAt(event.offset, "Gtid_list event of " + std::to_string(body.size()) +
                                       " bytes does not hold its " + std::to_string(count) +
                                       " GTIDs");
  }
  std::vector<BinlogGtid> gtids(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t entry_at = 4 + i * kGtidListEntrySize;
    gtids[i].domain = static_cast<uint32_t>(LittleEndian(body, entry_at, 4));
    gtids[i].server_id = static_cast<uint32_t>(LittleEndian(body, entry_at + 4, 4));
    gtids[i].sequence = LittleEndian(body, entry_at + 8, 8);
  }
  // The server writes its hash order; sorted by domain the same state always reads the same (and
  // as mariadb-binlog prints it).
  std::sort(gtids.begin(), gtids.end(), [](const BinlogGtid& left, const BinlogGtid& right) {
    return std::tie(left.domain, left.server_id) < std::tie(right.domain, right.server_id);
  });
  std::string list;
  for (const BinlogGtid& gtid : gtids) {
    list += (list.empty() ? "" : ",") + gtid.ToString();
  }
  return list;
}

// The statement text of a Query event (after its status variables and database name).
core::Result<std::string_view> QueryStatement(const Event& event) {
  std::string_view body = event.body;
  if (body.size() < kQueryPostHeaderSize)
    return CorruptAt(event.offset, "Query event too short");
  const size_t db_length = static_cast<uint8_t>(body[kQueryDbLengthAt]);
  const size_t status_vars_length = LittleEndian(body, kQueryStatusVarsLengthAt, 2);
  const size_t statement_at = kQueryPostHeaderSize + status_vars_length + db_length + 1;
  if (statement_at > body.size())
    return CorruptAt(event.offset, "Query event's status variables and database run past its end");
  return body.substr(statement_at);
}

// Events a server writes only between transactions (or never after the header).
bool IsBetweenTransactionsEvent(BinlogEventType type) {
  switch (type) {
    case BinlogEventType::kStop:
    case BinlogEventType::kRotate:
    case BinlogEventType::kFormatDescription:
    case BinlogEventType::kIncident:
    case BinlogEventType::kBinlogCheckpoint:
    case BinlogEventType::kGtid:
    case BinlogEventType::kGtidList:
    case BinlogEventType::kStartEncryption: return true;
    default: return false;
  }
}

// Events that precede the statement of a standalone group (MariaDB's
// Log_event::is_part_of_group): the group ends at the first event that is none of these.
bool IsStatementPrefixEvent(BinlogEventType type) {
  switch (type) {
    case BinlogEventType::kIntvar:
    case BinlogEventType::kRand:
    case BinlogEventType::kUserVar:
    case BinlogEventType::kTableMap:
    case BinlogEventType::kAnnotateRows: return true;
    default: return false;
  }
}

// Whether `event` ends the group (MariaDB's is_group_ending in rpl_parallel.cc, plus the
// standalone rule): XID, XA PREPARE, or a Query whose statement is COMMIT, ROLLBACK, XA COMMIT or
// XA ROLLBACK (the servers never compress those, so compressed Query events never end a group).
core::Result<bool> EndsGroup(bool standalone, const Event& event) {
  if (standalone)
    return !IsStatementPrefixEvent(event.type);
  switch (event.type) {
    case BinlogEventType::kXid:
    case BinlogEventType::kXaPrepare: return true;
    case BinlogEventType::kQuery: {
      HS_ASSIGN_OR_RETURN(std::string_view statement, QueryStatement(event));
      return statement == "COMMIT" || statement == "ROLLBACK" ||
             statement.starts_with("XA COMMIT") || statement.starts_with("XA ROLLBACK");
    }
    default: return false;
  }
}

// Follows events one by one: which group is open, which have ended, whether the file is closed.
class GroupScanner {
 public:
  explicit GroupScanner(uint64_t offset) { scan_.complete_end = offset; }

  core::Status Take(const Event& event) {
    if (scan_.sealed) {
      return CorruptAt(event.offset, "a " + EventTypeName(event.type) +
                                         " event after the event that closes the file");
    }
    return open_ ? TakeInside(event) : TakeBetween(event);
  }
  bool sealed() const { return scan_.sealed; }
  BinlogScan Finish() && { return std::move(scan_); }

 private:
  // The transaction being read, from its GTID event.
  struct OpenGroup {
    BinlogTransaction transaction;
    bool standalone = false;
  };

  core::Status TakeBetween(const Event& event) {
    switch (event.type) {
      case BinlogEventType::kGtid: return Open(event);
      case BinlogEventType::kBinlogCheckpoint:
      case BinlogEventType::kIncident: scan_.complete_end = event.end(); return core::Status::Ok();
      case BinlogEventType::kRotate:
      case BinlogEventType::kStop:
        scan_.sealed = true;
        scan_.sealed_end = scan_.complete_end = event.end();
        return core::Status::Ok();
      default:
        return CorruptAt(event.offset, "a " + EventTypeName(event.type) +
                                           " event outside any transaction (no GTID event first)");
    }
  }

  core::Status Open(const Event& event) {
    if (event.body.size() < kGtidMinBodySize)
      return CorruptAt(event.offset, "GTID event too short");
    OpenGroup group;
    group.transaction.gtid.sequence = LittleEndian(event.body, 0, 8);
    group.transaction.gtid.domain =
        static_cast<uint32_t>(LittleEndian(event.body, kGtidDomainAt, 4));
    group.transaction.gtid.server_id = event.server_id;
    group.transaction.start_offset = event.offset;
    group.transaction.timestamp = event.timestamp;
    group.standalone = (static_cast<uint8_t>(event.body[kGtidFlagsAt]) & kGtidStandaloneFlag) != 0;
    open_ = group;
    return core::Status::Ok();
  }

  core::Status TakeInside(const Event& event) {
    const BinlogTransaction& open = open_->transaction;
    if (IsBetweenTransactionsEvent(event.type)) {
      return CorruptAt(event.offset, "a " + EventTypeName(event.type) +
                                         " event inside transaction " + open.gtid.ToString() +
                                         " (which starts at offset " +
                                         std::to_string(open.start_offset) + ")");
    }
    HS_ASSIGN_OR_RETURN(bool ends, EndsGroup(open_->standalone, event));
    if (ends) {
      scan_.transactions.push_back(open);
      scan_.transactions.back().end_offset = event.end();
      scan_.complete_end = event.end();
      open_.reset();
    }
    return core::Status::Ok();
  }

  std::optional<OpenGroup> open_;
  BinlogScan scan_;
};

}  // namespace

std::string BinlogGtid::ToString() const {
  return std::to_string(domain) + "-" + std::to_string(server_id) + "-" + std::to_string(sequence);
}

core::Result<BinlogHeader> ReadBinlogHeader(std::string_view head) {
  if (head.size() < kBinlogMagic.size())
    return HeadTooShort(head.size(), "the magic number");
  if (head.substr(0, kBinlogMagic.size()) != kBinlogMagic) {
    return core::Corruption("not a binlog file: it does not start with the magic number \\xfebin")
        .WithHint("pass a MariaDB binary log (log_bin), not a relay log index or another file");
  }
  HS_ASSIGN_OR_RETURN(auto description, ReadEvent(head, 0, kFirstEventOffset, false));
  if (!description)
    return HeadTooShort(head.size(), "the end of the format description event");
  HS_ASSIGN_OR_RETURN(BinlogHeader header, ReadFormatDescription(*description));
  HS_ASSIGN_OR_RETURN(auto gtid_list, ReadEvent(head, 0, description->end(), header.checksums));
  if (!gtid_list)
    return HeadTooShort(head.size(), "the end of the Gtid_list event");
  if (gtid_list->type == BinlogEventType::kStartEncryption) {
    return core::Usage("binlog is encrypted (encrypt_binlog=ON): its events cannot be read here",
                       "turn encrypt_binlog off to archive binlogs for point-in-time recovery");
  }
  if (gtid_list->type != BinlogEventType::kGtidList) {
    return CorruptAt(gtid_list->offset, "a " + EventTypeName(gtid_list->type) +
                                            " event where the Gtid_list event belongs");
  }
  HS_ASSIGN_OR_RETURN(header.gtid_list, ReadGtidList(*gtid_list));
  header.header_end = gtid_list->end();
  // The server writes one Binlog_checkpoint right after the Gtid_list; later ones (once older
  // files' transactions are durable) may follow anywhere, so only the first counts as header, which
  // keeps header_end the same however much of the file was read.
  HS_ASSIGN_OR_RETURN(auto next, ReadEvent(head, 0, header.header_end, header.checksums));
  if (!next)
    return HeadTooShort(head.size(), "the end of the event after the Gtid_list event");
  if (next->type == BinlogEventType::kBinlogCheckpoint)
    header.header_end = next->end();
  return header;
}

core::Result<BinlogScan> ScanBinlog(std::string_view bytes, uint64_t offset,
                                    const BinlogHeader& header) {
  if (offset < header.header_end) {
    return core::Internal("binlog scan from offset " + std::to_string(offset) +
                          " starts inside the file's header, which ends at " +
                          std::to_string(header.header_end))
        .WithHint("scan from the header's header_end or a previous scan's complete_end");
  }
  GroupScanner scanner(offset);
  size_t at = 0;
  while (at < bytes.size()) {
    if (scanner.sealed()) {
      return CorruptAt(offset + at, std::to_string(bytes.size() - at) +
                                        " bytes after the event that closes the file");
    }
    HS_ASSIGN_OR_RETURN(auto event, ReadEvent(bytes, offset, at, header.checksums));
    if (!event)
      break;
    HS_TRY(scanner.Take(*event));
    at += event->whole.size();
  }
  return std::move(scanner).Finish();
}

namespace {

// Calls `visit(offset, size)` for each event of a whole file (magic included), following the
// event sizes only: a replay file holds a header and chosen transactions, so its positions have
// gaps and its checksums are not re-read here.
template <typename Visit>
core::Status ForEachEventBySize(std::string_view file, Visit visit) {
  if (file.substr(0, kBinlogMagic.size()) != kBinlogMagic) {
    return CorruptAt(0, "no binlog magic");
  }
  for (uint64_t at = kFirstEventOffset; at < file.size();) {
    const uint64_t size =
        file.size() - at < kEventHeaderSize ? 0 : LittleEndian(file, at + kEventSizeAt, 4);
    if (size < kEventHeaderSize || size > file.size() - at) {
      return CorruptAt(at, "an event that does not fit in the file");
    }
    HS_TRY(visit(at, size));
    at += size;
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<std::set<uint32_t>> BinlogEventServerIds(std::string_view file) {
  std::set<uint32_t> server_ids;
  HS_TRY(ForEachEventBySize(file, [&](uint64_t at, uint64_t /*size*/) {
    server_ids.insert(static_cast<uint32_t>(LittleEndian(file, at + kServerIdAt, 4)));
    return core::Status::Ok();
  }));
  return server_ids;
}

core::Status ReplaceEventServerIds(std::string& relay_log, uint32_t from, uint32_t to,
                                   bool checksums) {
  // Same-length writes into the string the view reads: it is never reallocated.
  const std::string_view view(relay_log);
  return ForEachEventBySize(view, [&](uint64_t at, uint64_t size) {
    if (LittleEndian(view, at + kServerIdAt, 4) != from) {
      return core::Status::Ok();
    }
    if (checksums && size < kEventHeaderSize + kChecksumSize) {
      return CorruptAt(at, "an event too short for its checksum");
    }
    for (size_t byte = 0; byte < 4; ++byte) {
      relay_log[at + kServerIdAt + byte] = static_cast<char>((to >> (8 * byte)) & 0xff);
    }
    if (checksums) {
      const uint64_t body = size - kChecksumSize;
      std::string checked = relay_log.substr(at, body);
      if (static_cast<uint8_t>(checked[kTypeAt]) ==
          static_cast<uint8_t>(BinlogEventType::kFormatDescription)) {
        // The server sets LOG_EVENT_BINLOG_IN_USE_F here while the file is open, in place: the
        // checksum covers the event with that flag clear.
        checked[kEventFlagsAt] =
            static_cast<char>(static_cast<uint8_t>(checked[kEventFlagsAt]) & ~kBinlogInUseFlag);
      }
      const uint32_t crc = Crc32(checked);
      for (size_t byte = 0; byte < 4; ++byte) {
        relay_log[at + body + byte] = static_cast<char>((crc >> (8 * byte)) & 0xff);
      }
    }
    return core::Status::Ok();
  });
}

core::Result<std::vector<ReplayFileTransaction>> ReplayFileTransactions(std::string_view file) {
  std::vector<ReplayFileTransaction> transactions;
  HS_TRY(ForEachEventBySize(file, [&](uint64_t at, uint64_t size) {
    if (static_cast<uint8_t>(file[at + kTypeAt]) != static_cast<uint8_t>(BinlogEventType::kGtid)) {
      return core::Status::Ok();
    }
    if (size < kEventHeaderSize + kGtidMinBodySize) {
      return CorruptAt(at, "a GTID event too short for its GTID");
    }
    const uint64_t body = at + kEventHeaderSize;
    ReplayFileTransaction transaction;
    transaction.offset = at;
    transaction.gtid.server_id = static_cast<uint32_t>(LittleEndian(file, at + kServerIdAt, 4));
    transaction.gtid.sequence = LittleEndian(file, body, 8);
    transaction.gtid.domain = static_cast<uint32_t>(LittleEndian(file, body + kGtidDomainAt, 4));
    transactions.push_back(transaction);
    return core::Status::Ok();
  }));
  return transactions;
}

}  // namespace hasteward::engine::mariadb
