// The WAL records that change relation files without naming their blocks (the server flags them
// XLR_SPECIAL_REL_UPDATE so that block trackers like this one can see them), and the one that
// stops the WAL from naming every changed block at all.
#pragma once

#include "core/status.h"
#include "engine/postgres/wal_block_refs.h"
#include "engine/postgres/wal_record_decode.h"

namespace hasteward::engine::postgres {

// Marks what `record` changed beyond its block references in `blocks`: a relation created or
// truncated (smgr) is read whole, so is a database made by CREATE DATABASE. kSafetyStop for a
// switch to wal_level minimal (later changes of new relations are not logged) and for a flagged
// record this reader does not know; kCorruption for main data too short for its kind.
core::Status ApplyFileChanges(const DecodedWalRecord& record, uint64_t lsn, ChangedBlocks& blocks);

}  // namespace hasteward::engine::postgres
