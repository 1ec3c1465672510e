// catalog/binlog/binlog_chain: how far the archived binlogs carry a GTID position. The archived
// files are rebuilt from their pieces (each up to its first missing piece), the abandoned futures
// that restores recorded are left out, and the walk follows the archive one transaction at a time,
// each the very next of its replication domain. The restore planner (pitr/binlog/binlog_restore.h)
// and `pitr status` (pitr/binlog/binlog_status.h) share it, so the window status shows is exactly
// what a restore can replay.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/binlog/binlog_catalog.h"
#include "core/status.h"
#include "engine/binlog_archiving.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// What a binlog walk or replay stops at.
enum class BinlogTargetKind {
  // `pitr status`: as far as the archive goes from a base, with nothing to reach.
  kWholeArchive,
  // --until: binlog times have whole-second precision, so a transaction committed in the
  // target's second counts as before it.
  kTime,
  // --until-gtid: the first state that includes the given GTIDs.
  kGtid,
  // A DR activation's "the last archived position" (pitr/binlog/binlog_restore.h): reached only
  // when the
  // walk took every archived transaction, so a gap is never taken for the end.
  kEndOfArchive,
};

struct BinlogTarget {
  BinlogTargetKind kind = BinlogTargetKind::kWholeArchive;
  int64_t time_unix = 0;  // kTime
  std::string gtid;       // kGtid ("0-1-42,1-2-7")

  static BinlogTarget Time(int64_t unix_seconds) {
    return {BinlogTargetKind::kTime, unix_seconds, ""};
  }
  static BinlogTarget Gtid(std::string gtid) {
    return {BinlogTargetKind::kGtid, 0, std::move(gtid)};
  }
  static BinlogTarget EndOfArchive() { return {BinlogTargetKind::kEndOfArchive, 0, ""}; }
};

// One archived file rebuilt from its pieces, with its whole transactions.
struct LoadedBinlogFile {
  BinlogFileIdentity identity;
  std::string bytes;  // from the file's start up to its first missing piece
  engine::BinlogFileHeader header;
  // Its transactions in file order, the abandoned futures left out.
  std::vector<engine::BinlogTransactionSpan> spans;
  uint64_t first_archived_at_ns = 0;
};

// Every archived file, each from its start up to its first missing piece (what follows a missing
// piece is unusable: a replay must not skip a transaction), in the order they were archived. A
// file whose first piece is missing is left out. Reads every piece of the catalog.
core::Result<std::vector<LoadedBinlogFile>> LoadBinlogFiles(repo::Repository& repo,
                                                            const BinlogCatalog& catalog,
                                                            const engine::BinlogArchiving& binlogs);

// The transactions a replay takes from one archived file.
struct BinlogFileReplay {
  BinlogFileIdentity identity;
  std::vector<size_t> spans;  // indexes into the file's LoadedBinlogFile::spans
};

// Where a walk from a GTID position got to.
struct BinlogChainWalk {
  std::string state;  // the position after the last transaction taken
  std::vector<BinlogFileReplay> files;
  size_t transactions = 0;
  bool reached = false;    // the target is reached (never for an empty target)
  std::string last_gtid;   // the last transaction taken ("" when none)
  uint32_t last_time = 0;  // and its commit time
};

// Follows the archive from `from` one transaction at a time, each the next of its domain, in each
// file's order, until the target (or, for an empty target, the archive's end).
BinlogChainWalk WalkBinlogChain(const std::vector<LoadedBinlogFile>& files,
                                const engine::BinlogArchiving& binlogs, const std::string& from,
                                const BinlogTarget& target);

// Whether every archived transaction (the abandoned futures left out) is in `state`.
bool TookEveryTransaction(const std::vector<LoadedBinlogFile>& files,
                          const engine::BinlogArchiving& binlogs, const std::string& state);

// Whether the archived transaction `gtid`, stored at `archived_at_ns`, belongs to a future a
// restore abandoned: archived before a rewind, beyond its state, and not brought back by a later
// restore of a base whose history holds it (see BaseAbandoned).
bool SpanAbandoned(const BinlogCatalog& catalog, const engine::BinlogArchiving& binlogs,
                   uint64_t archived_at_ns, const std::string& gtid);

// Whether the native base `snapshot` (at GTID position `base_state`) was taken in a future a
// restore abandoned: before a rewind, beyond its state, and not restored since (a later rewind
// naming it as its base). Such a backup is no base for the history that followed. A restore of
// it revives it and the transactions of its history up to its position; rewinds recorded before
// restores named their base revive nothing.
bool BaseAbandoned(const BinlogCatalog& catalog, const engine::BinlogArchiving& binlogs,
                   const repo::Snapshot& snapshot, const std::string& base_state);

}  // namespace hasteward::catalog
