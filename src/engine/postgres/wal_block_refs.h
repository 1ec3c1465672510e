// Which relation blocks the WAL of an LSN interval may have changed (issue #33): what an
// incremental native backup reads instead of every block. The WAL's own framing is
// wal_record_stream.h's, one record's layout wal_record_decode.h's; this unit applies the
// per-record rules (block references, and the records that change relation files without naming
// blocks) and answers per block.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_set>

#include "core/status.h"
#include "engine/postgres/wal_record_stream.h"

namespace hasteward::engine::postgres {

enum class ForkNumber : uint8_t { kMain = 0, kFsm = 1, kVisibilityMap = 2, kInit = 3 };

// A relation fork's file identity, as WAL block references and the data directory name it.
struct RelationFork {
  uint32_t tablespace = 0;  // spcOid: 1663 pg_default, 1664 pg_global
  uint32_t database = 0;    // dbOid; 0 for shared (global/) relations
  uint32_t relfilenode = 0;
  ForkNumber fork = ForkNumber::kMain;
  // clang-tidy 14 takes the 0 a defaulted <=> compares its result with for a null pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr): a false positive (see above)
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
  // Each distinct (fork, block) added, in no particular order (the whole marks aside).
  void ForEachBlock(const std::function<void(const RelationFork&, uint32_t)>& visit) const;

 private:
  bool WholeFork(const RelationFork& fork) const;

  std::map<RelationFork, std::unordered_set<uint32_t>> blocks_;
  size_t block_count_ = 0;
  std::set<RelationFork> whole_forks_;
  std::set<std::tuple<uint32_t, uint32_t, uint32_t>> whole_relations_;
  std::set<std::pair<uint32_t, uint32_t>> whole_databases_;
};

// Reads the block references of every WAL record that starts in [from_lsn, to_lsn), from whole
// WAL segments fed in order (one timeline). Records crossing segment boundaries are joined; each
// record's CRC-32C is checked. kUsage-free errors: a gap (kIncompleteInput), a malformed or
// CRC-failing record before to_lsn (kCorruption), or a record that makes block tracking unsafe
// (XLOG_PARAMETER_CHANGE to wal_level minimal, a relation-file change this reader does not know:
// kSafetyStop) -> the caller reads everything instead.
class WalBlockReferenceReader {
 public:
  WalBlockReferenceReader(uint64_t from_lsn, uint64_t to_lsn);
  // Segment size from the first segment's long page header (xlp_seg_size); segments must come
  // in order, starting with the one holding from_lsn. After an error the reader stays failed.
  core::Status AddSegment(uint64_t segment_start_lsn, std::string_view bytes);
  // A segment a part at a time, reading only what the interval needs (WalRecordStream's).
  core::Status AddSegmentPart(uint64_t segment_start_lsn, uint64_t offset, std::string_view bytes);
  uint64_t NextWantedLsn() const;
  bool Covered() const;  // records up to to_lsn were all read
  const ChangedBlocks& Blocks() const;
  uint64_t RecordCount() const;

 private:
  core::Status Apply(const WalRecord& record);

  WalRecordStream stream_;
  ChangedBlocks blocks_;
  uint64_t records_ = 0;
  core::Status failed_;
};

}  // namespace hasteward::engine::postgres
