#include "catalog/wal/wal_bases.h"

#include <optional>
#include <utility>

#include "catalog/base_backup_record.h"
#include "catalog/cluster_snapshots.h"
#include "catalog/wal/wal_index_append.h"

namespace hasteward::catalog {

core::Result<std::vector<BaseBackup>> ListBaseBackups(repo::Repository& repo,
                                                      const platform::Cluster& cluster) {
  HS_ASSIGN_OR_RETURN(auto snapshots, ClusterSnapshots(repo, cluster, repo::SnapshotType::kBackup));
  return BaseBackupsOf(std::move(snapshots));
}

std::vector<BaseBackup> BaseBackupsOf(std::vector<repo::Snapshot> snapshots) {
  std::vector<BaseBackup> bases;
  for (auto& snapshot : snapshots) {
    if (!repo::MatchesType(snapshot, repo::SnapshotType::kBackup) ||
        !catalog::IsNativeBackup(snapshot)) {
      continue;
    }
    auto record = catalog::DecodeBaseBackup(snapshot);
    if (!record.ok() || !record->start() || !record->stop()) {
      continue;  // no positions: no base a replay can start from
    }
    const catalog::WalPosition start = *record->start();
    bases.push_back(BaseBackup{std::move(snapshot), start.timeline, start.lsn, *record->stop_lsn});
  }
  return bases;
}

IndexedBase IndexedBaseOf(const BaseBackup& base) {
  return IndexedBase{base.snapshot.id, base.snapshot.time, base.timeline, base.start, base.stop};
}

BaseBackup BaseOfIndexed(const IndexedBase& base) {
  BaseBackup out;
  out.snapshot.id = base.snapshot;
  out.snapshot.time = base.time;
  out.timeline = base.timeline;
  out.start = base.start;
  out.stop = base.stop;
  return out;
}

core::Status RecordBaseBackup(repo::Repository& repo, const platform::Cluster& cluster,
                              const engine::Archiving* archiving, const repo::Id& snapshot) {
  if (archiving == nullptr) {
    return core::Status::Ok();  // binlogs (their status reads the bases from the snapshots) or none
  }
  HS_ASSIGN_OR_RETURN(repo::Snapshot committed, repo.LoadSnapshot(snapshot));
  std::vector<BaseBackup> bases = BaseBackupsOf({std::move(committed)});
  if (bases.empty()) {
    return core::Status::Ok();
  }
  return AppendToIndex(repo, cluster, {}, std::nullopt, {IndexedBaseOf(bases.front())});
}

}  // namespace hasteward::catalog
