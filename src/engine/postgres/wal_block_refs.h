// engine/postgres/wal_block_refs: the block references of WAL records (contract with h-walref;
// this copy is replaced by h-walref's).
#pragma once
#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"

namespace hasteward::engine::postgres {

enum class ForkNumber : uint8_t { kMain = 0, kFsm = 1, kVisibilityMap = 2, kInit = 3 };

// A relation fork's file identity, as WAL block references and the data directory name it.
struct RelationFork {
  uint32_t tablespace = 0;  // spcOid: 1663 pg_default, 1664 pg_global
  uint32_t database = 0;    // dbOid; 0 for shared (global/) relations
  uint32_t relfilenode = 0;
  ForkNumber fork = ForkNumber::kMain;
  auto operator<=>(const RelationFork&) const = default;
};

// A data-directory-relative path of a relation segment file ("base/5/16384", "base/5/16384_vm",
// "global/1262", "base/5/16384.2", "pg_tblspc/16390/PG_15_202209061/5/16400"): its fork and the
// number of its first block (segment * 131072 for 8 KiB pages and 1 GiB segments). nullopt for
// any other file (pg_control, pg_filenode.map, PG_VERSION, pg_xact/..., temp relations t3_...).
struct RelationFile {
  RelationFork fork;
  uint32_t first_block = 0;
};
std::optional<RelationFile> RelationFileOf(std::string_view relative_path);

// The blocks WAL records of an LSN interval may have changed, per relation fork, and the forks
// and databases that must be read whole because a record changed them without naming blocks
// (smgr truncate / create, a database created by file copy, ...).
class ChangedBlocks {
 public:
  void Add(const RelationFork& fork, uint32_t block);
  void MarkWhole(const RelationFork& fork);  // every block of this fork
  void MarkRelationWhole(uint32_t tablespace, uint32_t database,
                         uint32_t relfilenode);  // all forks
  void MarkDatabaseWhole(uint32_t tablespace, uint32_t database);
  // Whether `block` of `fork` may differ from its state at the interval's start.
  bool MayHaveChanged(const RelationFork& fork, uint32_t block) const;
  size_t BlockCount() const;  // distinct (fork, block) pairs added
 private:
  size_t count_ = 0;  // placeholder: every block may have changed
};

// Reads the block references of every WAL record that starts in [from_lsn, to_lsn), from whole
// WAL segments fed in order (one timeline). Records crossing segment boundaries are joined; each
// record's CRC-32C is checked. kUsage-free errors: a gap, a malformed or CRC-failing record before
// to_lsn, or a record that makes block tracking unsafe (XLOG_PARAMETER_CHANGE to wal_level
// minimal) -> the caller reads everything instead.
class WalBlockReferenceReader {
 public:
  WalBlockReferenceReader(uint64_t from_lsn, uint64_t to_lsn);
  // Segment size from the first segment's long page header (xlp_seg_size); segments must come
  // in order, starting with the one holding from_lsn.
  core::Status AddSegment(uint64_t segment_start_lsn, std::string_view bytes);
  bool Covered() const;  // records up to to_lsn were all read
  const ChangedBlocks& Blocks() const;
  uint64_t RecordCount() const;

 private:
  uint64_t from_lsn_;
  uint64_t to_lsn_;
  uint64_t next_lsn_;
  ChangedBlocks blocks_;
};

}  // namespace hasteward::engine::postgres
