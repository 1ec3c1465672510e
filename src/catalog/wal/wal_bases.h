// catalog/wal/wal_bases: the native base backups of a cluster as a WAL replay reads them (the
// timeline and the positions where replay begins and where the base is consistent), from the
// snapshots or from the archive index; and the recording of a new base in that index, which
// jobs::BackupClusterNative does after each native backup.
#pragma once

#include <cstdint>
#include <vector>

#include "catalog/wal/wal_index_format.h"
#include "core/status.h"
#include "engine/archiving.h"
#include "platform/platform.h"
#include "repo/repository.h"
#include "repo/snapshot/snapshot_type.h"

namespace hasteward::catalog {

struct BaseBackup {
  repo::Snapshot snapshot;
  uint32_t timeline = 0;
  uint64_t start = 0;  // position where replay of the base begins
  uint64_t stop = 0;   // position where the base is consistent
};

// The cluster's native backups (type=backup, method=native) with the facts a replay needs, oldest
// first. Snapshots without readable facts are skipped.
core::Result<std::vector<BaseBackup>> ListBaseBackups(repo::Repository& repo,
                                                      const platform::Cluster& cluster);

// The same from snapshots already listed (oldest first): those of type=backup, method=native.
std::vector<BaseBackup> BaseBackupsOf(std::vector<repo::Snapshot> snapshots);

// A base as the archive index records it (wal_index_format.h), and back: the snapshot then holds
// only its id and time, what status shows (a restore lists the bases from the snapshots).
IndexedBase IndexedBaseOf(const BaseBackup& base);
BaseBackup BaseOfIndexed(const IndexedBase& base);

// Records the committed native backup `snapshot` of `cluster` in the archive index, so status
// need not read every snapshot to find the bases. The same reading of the snapshot's facts as a
// rebuild's: one without them is no base, and nothing is recorded; nothing either for an engine
// without a WAL archive (`archiving` null: its bases are read from the snapshots). Errors: storage
// errors (the backup itself is complete either way; a base the index missed is shown once it is
// rebuilt).
core::Status RecordBaseBackup(repo::Repository& repo, const platform::Cluster& cluster,
                              const engine::Archiving* archiving, const repo::Id& snapshot);

}  // namespace hasteward::catalog
