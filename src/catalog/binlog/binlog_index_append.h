// catalog/binlog/binlog_index_append: how a binlog snapshot just committed enters the binlog piece
// index (binlog_index.h): its pieces with their stored files, read back from the new snapshot's
// tree, and its rewinds, appended as one delta. The archiver does this before it reports a cycle's
// pieces archived, a restore when it records a rewind, and the scale bench's generator likewise.
#pragma once

#include <vector>

#include "catalog/binlog/binlog_catalog.h"
#include "catalog/binlog/binlog_index_format.h"
#include "core/status.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// A binlog snapshot this process committed: its IDs and the manifest it holds.
struct CommittedBinlog {
  repo::Id snapshot_id{};
  repo::Id tree_id{};
  std::vector<BinlogPiece> pieces;
  std::vector<BinlogRewind> rewinds;
};

// The snapshot's records. Its trees must be in the in-memory pack index (the writer of this
// process put them there). kInternal when a piece is not in the snapshot; repository errors.
core::Result<BinlogIndexRecords> CommittedBinlogRecords(repo::Repository& repo,
                                                        const platform::Cluster& cluster,
                                                        const CommittedBinlog& stored);

// Appends the records as a new delta (durable when it returns) and merges the deltas when there
// are too many. A repository that cannot hold the index (REST: kUsage) is left without one: its
// readers use the snapshots. Errors: storage and corruption errors.
core::Status AppendToBinlogIndex(repo::Repository& repo, const platform::Cluster& cluster,
                                 const BinlogIndexRecords& records);

}  // namespace hasteward::catalog
