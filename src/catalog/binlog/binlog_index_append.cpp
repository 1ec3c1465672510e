#include "catalog/binlog/binlog_index_append.h"

#include <algorithm>

#include "catalog/binlog/binlog_index.h"
#include "catalog/snapshot_directory.h"

namespace hasteward::catalog {

core::Result<BinlogIndexRecords> CommittedBinlogRecords(repo::Repository& repo,
                                                        const platform::Cluster& cluster,
                                                        const CommittedBinlog& stored) {
  BinlogIndexRecords records;
  if (!stored.pieces.empty()) {
    repo::Snapshot snapshot;
    snapshot.id = stored.snapshot_id;
    snapshot.tree = stored.tree_id;
    HS_ASSIGN_OR_RETURN(std::vector<repo::Node> nodes,
                        catalog::LoadDirectory(repo, snapshot, BinlogPath(cluster)));
    for (const BinlogPiece& piece : stored.pieces) {
      auto node = std::find_if(nodes.begin(), nodes.end(), [&piece](const repo::Node& candidate) {
        return candidate.name == piece.PieceName() && candidate.type == "file";
      });
      if (node == nodes.end()) {
        return core::Internal("binlog piece " + piece.PieceName() +
                              " is not in the snapshot just committed");
      }
      records.pieces.push_back(
          BinlogIndexPiece{piece, stored.snapshot_id, node->size, node->content});
    }
  }
  for (const BinlogRewind& rewind : stored.rewinds) {
    records.rewinds.push_back(BinlogIndexRewind{rewind, stored.snapshot_id});
  }
  return records;
}

core::Status AppendToBinlogIndex(repo::Repository& repo, const platform::Cluster& cluster,
                                 const BinlogIndexRecords& records) {
  HS_ASSIGN_OR_RETURN(BinlogIndex index, BinlogIndex::Open(repo, cluster));
  core::Status appended = index.Append(records);
  if (appended.code() == core::ErrorCode::kUsage) {
    return core::Status::Ok();
  }
  HS_TRY(appended);
  return index.Compact();
}

}  // namespace hasteward::catalog
