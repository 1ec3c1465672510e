// verify/restore_into: streaming a backup snapshot into the scratch instance through the one
// restore pipeline (jobs/restore_into.h), which notices a dump that ends without its tool's end
// marker — exactly what verification exists to catch.
#pragma once

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "jobs/restore_into.h"
#include "repo/repository.h"

namespace hasteward::verify {

// How a verification reads the repository. kLocked takes a shared lock (as restic restore does),
// so a prune cannot remove packs mid-restore. kReadOnly writes nothing at all, for a repository
// this process may only read (a DR standby's view of its source, issue #15): a concurrent prune
// of the source can then fail the restore, which is reported like any failed restore.
enum class RepositoryAccess { kLocked, kReadOnly };

// Restores `snap` (its only file) into `scratch_target` (the scratch instance's platform, cluster
// and engine) with the engine's restore client.
// Calls the failpoint "verify-mid-restore" after the first block reached the client. A failing
// restore client or an unreadable snapshot is reported in `restore` (a verdict, not an error);
// errors are what stops the restore from starting (lock, index, the scratch server).
core::Result<jobs::RestoreIntoResult> RestoreInto(
    repo::Repository& repo, const repo::Snapshot& snap, const engine::ClusterHandle& scratch_target,
    RepositoryAccess access = RepositoryAccess::kLocked);

}  // namespace hasteward::verify
