// repo/maintenance: what prune may delete in a repository under object lock (docs/object-lock.md).
// Packs, snapshots, keys and the config are written with a retention (storage/object_lock.h);
// deleting one before its date fails on the storage, and a prune that failed halfway would have
// rewritten the index already. So prune asks first and, when anything it planned to delete is
// still retained, changes nothing.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "repo/maintenance/gc_plan.h"
#include "repo/repository.h"

namespace hasteward::repo {

// Ok when the repository has no lock period or nothing that `snapshot_ids` and `gc` delete is
// still retained. Otherwise kSafetyStop naming how many snapshots and packs are locked and until
// when; forgotten snapshots get the hint that the retention policy must keep every snapshot for
// the lock period. One HEAD per file to delete. Storage errors pass through.
core::Status RefuseLockedDeletes(Repository& repo, const std::vector<std::string>& snapshot_ids,
                                 const GcPlan& gc);

}  // namespace hasteward::repo
