#include "engine/postgres/wal_file_changes.h"

#include <string>

#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine::postgres {

namespace {

constexpr uint8_t kXlogParameterChange = 0x60;
constexpr int32_t kWalLevelReplica = 1;  // minimal is 0

constexpr uint8_t kSmgrCreate = 0x10;    // xl_smgr_create: RelFileNode, fork
constexpr uint8_t kSmgrTruncate = 0x20;  // xl_smgr_truncate: block, RelFileNode, flags

constexpr uint8_t kDbaseCreateFileCopy =
    0x00;                                     // db_id, tablespace_id, source db, source tablespace
constexpr uint8_t kDbaseCreateWalLog = 0x10;  // db_id, tablespace_id
constexpr uint8_t kDbaseDrop = 0x20;

core::Status Unsafe(uint64_t lsn, const std::string& what) {
  return core::Status(core::ErrorCode::kSafetyStop,
                      "WAL record at " + FormatLsn(lsn) + " " + what +
                          ": the WAL does not name every changed block",
                      "read every block for this backup");
}

core::Status NeedMainData(const DecodedWalRecord& record, uint64_t lsn, size_t bytes) {
  if (record.main_data.size() >= bytes)
    return core::Status::Ok();
  return core::Status(core::ErrorCode::kCorruption, "WAL record at " + FormatLsn(lsn) + " has " +
                                                        std::to_string(record.main_data.size()) +
                                                        " bytes of main data, " +
                                                        std::to_string(bytes) + " expected");
}

core::Status ApplySmgr(const DecodedWalRecord& record, uint64_t lsn, ChangedBlocks& blocks) {
  const uint8_t kind = record.info & kRmgrInfoMask;
  if (kind != kSmgrCreate && kind != kSmgrTruncate)
    return Unsafe(lsn, "changes relation files in a way this reader does not know (smgr)");
  // A new fork's blocks are logged as they are written, a truncation shortens files without a
  // block named: the relation is read whole either way, all forks, since a truncation also cuts
  // its free-space and visibility maps.
  const size_t node_at = kind == kSmgrCreate ? 0 : 4;
  HS_TRY(NeedMainData(record, lsn, node_at + 12));
  blocks.MarkRelationWhole(LoadWalField<uint32_t>(record.main_data, node_at),
                           LoadWalField<uint32_t>(record.main_data, node_at + 4),
                           LoadWalField<uint32_t>(record.main_data, node_at + 8));
  return core::Status::Ok();
}

core::Status ApplyDbase(const DecodedWalRecord& record, uint64_t lsn, ChangedBlocks& blocks) {
  const uint8_t kind = record.info & kRmgrInfoMask;
  if (kind == kDbaseDrop)
    return core::Status::Ok();  // its files are gone: nothing of them is read
  if (kind != kDbaseCreateFileCopy && kind != kDbaseCreateWalLog)
    return Unsafe(lsn, "changes database files in a way this reader does not know");
  // FILE_COPY copies the template's files with no block named. WAL_LOG logs each copied block,
  // but a new database holds no block the parent backup has, so reading it whole costs nothing
  // more and does not depend on every copied page being logged.
  HS_TRY(NeedMainData(record, lsn, 8));
  blocks.MarkDatabaseWhole(LoadWalField<uint32_t>(record.main_data, 4),
                           LoadWalField<uint32_t>(record.main_data, 0));
  return core::Status::Ok();
}

}  // namespace

core::Status ApplyFileChanges(const DecodedWalRecord& record, uint64_t lsn, ChangedBlocks& blocks) {
  if (record.rmid == kRmgrXlog && (record.info & kRmgrInfoMask) == kXlogParameterChange) {
    // xl_parameter_change: five ints, then wal_level.
    HS_TRY(NeedMainData(record, lsn, 24));
    if (LoadWalField<int32_t>(record.main_data, 20) < kWalLevelReplica)
      return Unsafe(lsn, "sets wal_level to minimal");
    return core::Status::Ok();
  }
  // Files a transaction's end drops are gone: nothing of them is read. A relation that reuses
  // the number later is created by an smgr record, read whole then.
  if (record.rmid == kRmgrXact)
    return core::Status::Ok();
  if (record.rmid == kRmgrSmgr)
    return ApplySmgr(record, lsn, blocks);
  if (record.rmid == kRmgrDbase)
    return ApplyDbase(record, lsn, blocks);
  // Any other record flagged as changing relation files beyond its blocks (an extension's
  // resource manager, a later server's new kind) cannot be followed: refuse rather than guess.
  if (record.info & kSpecialRelUpdate)
    return Unsafe(lsn, "of resource manager " + std::to_string(record.rmid) +
                           " changes relation files beyond its blocks");
  return core::Status::Ok();
}

}  // namespace hasteward::engine::postgres
