#include "catalog/wal/wal_index_append.h"

#include "catalog/wal/wal_catalog.h"
#include "catalog/wal/wal_index.h"
#include "catalog/wal/wal_path.h"

namespace hasteward::catalog {

core::Result<std::vector<WalIndexEntry>> CommittedEntries(repo::Repository& repo,
                                                          const platform::Cluster& cluster,
                                                          const engine::Archiving& archiving,
                                                          const CommittedWal& stored) {
  repo::Snapshot snapshot;
  snapshot.id = stored.snapshot_id;
  snapshot.tree = stored.tree_id;
  HS_ASSIGN_OR_RETURN(std::vector<repo::Node> nodes,
                      LoadDirectory(repo, snapshot, WalPath(cluster)));
  std::vector<WalIndexEntry> entries;
  for (const repo::Node& node : nodes) {
    auto file = archiving.ParseFileName(node.name);
    auto sha = stored.sha256.find(node.name);
    if (!file.ok() || sha == stored.sha256.end()) {
      continue;
    }
    WalIndexEntry entry{node.name,     file->kind,  file->timeline,
                        file->segment, node.size,   node.mtime,
                        sha->second,   snapshot.id, {}};
    for (const repo::Id& id : node.content) {
      auto location = repo.blobs().Lookup(id, repo::BlobType::kData);
      if (!location) {
        return core::Internal("blob '" + repo::IdToHex(id) +
                              "' of the new WAL snapshot is not "
                              "in the pack index");
      }
      entry.content.push_back(IndexedBlob{id, location->pack_id, location->blob.offset,
                                          location->blob.length,
                                          location->blob.uncompressed_length});
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

core::Status AppendToIndex(repo::Repository& repo, const platform::Cluster& cluster,
                           const std::vector<WalIndexEntry>& entries,
                           std::optional<size_t> listed_deltas,
                           const std::vector<IndexedBase>& bases) {
  if (listed_deltas && *listed_deltas + 1 <= kMaxIndexDeltas) {
    core::Status appended = WalIndex::Unlisted(repo, cluster).Append(entries, bases);
    return appended.code() == core::ErrorCode::kUsage ? core::Status::Ok() : appended;
  }
  HS_ASSIGN_OR_RETURN(WalIndex index, WalIndex::Open(repo, cluster));
  core::Status appended = index.Append(entries, bases);
  if (appended.code() == core::ErrorCode::kUsage) {
    return core::Status::Ok();
  }
  HS_TRY(appended);
  return index.Compact();
}

}  // namespace hasteward::catalog
