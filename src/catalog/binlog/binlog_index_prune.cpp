#include "catalog/binlog/binlog_index_prune.h"

#include <set>

#include "catalog/binlog/binlog_index.h"

namespace hasteward::catalog {

core::Status ForgetPrunedBinlogPieces(repo::Repository& repo, const repo::PlanGroup& group) {
  auto kind = platform::ParseEngineKind(group.engine);
  if (!kind.ok()) {
    return core::Status::Ok();  // no index is written for an engine this build does not know
  }
  platform::Cluster cluster;
  cluster.engine = *kind;
  cluster.ns = group.namespace_name;
  cluster.name = group.cluster;
  std::set<repo::Id> removed;
  for (const repo::PlannedSnapshot& snapshot : group.snapshots) {
    auto id = repo::IdFromHex(snapshot.id);
    if (!snapshot.keep && id.ok()) {
      removed.insert(*id);
    }
  }
  HS_ASSIGN_OR_RETURN(BinlogIndex index, BinlogIndex::Open(repo, cluster));
  if (removed.empty() || !index.exists()) {
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(BinlogIndexRecords records, index.ReadAll());
  const size_t before = records.pieces.size() + records.rewinds.size();
  std::erase_if(records.pieces,
                [&](const BinlogIndexPiece& record) { return removed.count(record.snapshot); });
  std::erase_if(records.rewinds,
                [&](const BinlogIndexRewind& record) { return removed.count(record.snapshot); });
  if (records.pieces.size() + records.rewinds.size() == before) {
    return core::Status::Ok();
  }
  core::Status replaced = index.Replace(records);
  if (!replaced.ok()) {
    return replaced.Wrap("remove pruned binlog pieces from the binlog index of '" + cluster.ns +
                         "/" + cluster.name + "'");
  }
  return core::Status::Ok();
}

}  // namespace hasteward::catalog
