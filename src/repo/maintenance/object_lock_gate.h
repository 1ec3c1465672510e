// repo/maintenance: what prune may delete in a repository under object lock (docs/object-lock.md).
// Packs, snapshots, keys and the config are written with a retention (storage/object_lock.h);
// deleting one before its date fails on the storage, and a prune that failed halfway would have
// rewritten the index already. So prune asks first and, when anything it planned to delete is
// still retained, changes nothing. After a prune, what the backups still reference is retained
// again (ExtendReferencedRetention), so a lock protects a backup for as long as it is kept, not
// only for the period after each file was written.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "repo/maintenance/gc_plan.h"
#include "repo/repository.h"
#include "storage/object_lock.h"

namespace hasteward::repo {

// Ok when the repository has no lock period or nothing that `snapshot_ids` and `gc` delete is
// still retained. Otherwise kSafetyStop naming how many snapshots and packs are locked and until
// when; forgotten snapshots get the hint that the retention policy must keep every snapshot for
// the lock period. One HEAD per file to delete. Storage errors pass through.
core::Status RefuseLockedDeletes(Repository& repo, const std::vector<std::string>& snapshot_ids,
                                 const GcPlan& gc);

// What ExtendReferencedRetention did: how many files it asked about, how many it retained again,
// and until when (unset when it extended none).
struct RetentionRenewal {
  size_t checked = 0;
  size_t extended = 0;
  std::optional<storage::ObjectLock::TimePoint> until;
};

// Retains again, until now + the lock period, every file a prune kept that the repository still
// references: the snapshots in `kept_snapshots`, the packs `gc` keeps as they are (kKeep), every
// key and the config. Only a file with less than half the period left is extended (one HEAD per
// file, one PUT per extension): a daily prune under a 30-day lock renews each file about every
// 15 days. Never what the prune deleted or the packs it repacked (their blobs were copied into
// packs written with a full period). Nothing to do without a lock period. Storage errors pass
// through (what was extended stays extended: a retention can only grow).
core::Result<RetentionRenewal> ExtendReferencedRetention(
    Repository& repo, const std::vector<std::string>& kept_snapshots, const GcPlan& gc);

}  // namespace hasteward::repo
