// verify/restore_native: a native (physical) snapshot restored into the scratch instance — its
// server is stopped, the snapshot's data directory is checked against its manifest and replaces
// the scratch one, and the server starts on it (jobs::RestoreNativeSnapshot does the work).
#pragma once

#include <cstdint>
#include <memory>

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "jobs/instant_restore.h"
#include "repo/repository.h"
#include "verify/restore_into.h"
#include "verify/scratch_instance.h"

namespace hasteward::verify {

// The restored data brings the backed-up cluster's roles and passwords, so the scratch cluster
// connects with `credentials` (the backed-up cluster's own) from then on: the returned cluster is
// the scratch cluster (with its engine) with them. Takes the repository lock (unless `access` is
// kReadOnly) and loads the index.
core::Result<engine::ClusterHandle> RestoreNativeInto(
    repo::Repository& repo, const repo::Snapshot& snap, ScratchInstance& scratch,
    const platform::Credentials& credentials, uint64_t* bytes,
    RepositoryAccess access = RepositoryAccess::kLocked);

// The scratch instance started on an instant restore's overlay of the snapshot (nothing copied:
// jobs::ServeNativeInstant). The returned serving must be closed (or destroyed) before the
// scratch instance is torn down; the cluster is as RestoreNativeInto's.
struct InstantInto {
  engine::ClusterHandle target;
  std::unique_ptr<jobs::InstantServing> serving;
};
core::Result<InstantInto> RestoreNativeInstantInto(repo::Repository& repo,
                                                   const repo::Snapshot& snap,
                                                   ScratchInstance& scratch,
                                                   const platform::Credentials& credentials,
                                                   RepositoryAccess access);

}  // namespace hasteward::verify
