// One PostgreSQL 15 WAL record's layout after its 24-byte header: block reference headers (ids
// 0..32, each naming a relation fork and block, maybe with a full-page image), the origin and
// top-level xid fragments, then the main data's length; after the headers, the block data and
// images, and the main data last.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "engine/postgres/wal_block_refs.h"
#include "engine/postgres/wal_record_stream.h"

namespace hasteward::engine::postgres {

inline constexpr uint8_t kMaxWalBlockId = 32;

struct WalBlockReference {
  RelationFork fork;
  uint32_t block = 0;
};

struct DecodedWalRecord {
  uint8_t rmid = 0;
  uint8_t info = 0;  // xl_info whole: the rmgr's high bits and XLR_SPECIAL_REL_UPDATE among the low
  std::array<WalBlockReference, kMaxWalBlockId + 1> blocks{};
  uint8_t block_count = 0;
  std::string_view main_data;  // a view into the record's bytes
};

// Fills `out` (reused from record to record: this runs once per record of hundreds of MB of
// WAL). kCorruption when the headers do not add up to the record's length or break the rules
// the server's own decoder checks.
core::Status DecodeWalRecord(const WalRecord& record, DecodedWalRecord& out);

}  // namespace hasteward::engine::postgres
