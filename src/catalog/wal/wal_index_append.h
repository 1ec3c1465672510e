// catalog/wal/wal_index_append: how a WAL snapshot just committed enters the archive index
// (wal_index.h): its files' entries, from the new snapshot's tree and the positions of the packs
// this process wrote, appended as one delta. wal-push does this before it reports a file archived;
// the scale bench's generator writes its synthetic archive the same way.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/wal/wal_index_format.h"
#include "core/status.h"
#include "engine/archiving.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// A WAL snapshot this process committed, and the SHA-256 (hex) of each file it stored, by name.
struct CommittedWal {
  repo::Id snapshot_id{};
  repo::Id tree_id{};
  std::map<std::string, std::string> sha256;
};

// The entries of the committed snapshot's files (those in `stored.sha256`). The snapshot's trees
// and blobs must be in the in-memory pack index (the writer of this process put them there).
// kInternal when a blob is not; repository errors.
core::Result<std::vector<WalIndexEntry>> CommittedEntries(repo::Repository& repo,
                                                          const platform::Cluster& cluster,
                                                          const engine::Archiving& archiving,
                                                          const CommittedWal& stored);

// Appends the entries as a new delta (durable when it returns) and merges the deltas when there
// are too many. `listed_deltas`: how many deltas the caller's own read of the index listed just
// before; while one more stays within kMaxIndexDeltas the index is not listed again (a listing
// grows with the archive: one bucket file per 256 segments). A repository that cannot hold the
// index (REST: kUsage) is left without one: its readers use the snapshots. Errors: storage and
// corruption errors.
// `bases`: native base backups to record (a backup's, with no entries).
core::Status AppendToIndex(repo::Repository& repo, const platform::Cluster& cluster,
                           const std::vector<WalIndexEntry>& entries,
                           std::optional<size_t> listed_deltas = std::nullopt,
                           const std::vector<IndexedBase>& bases = {});

}  // namespace hasteward::catalog
