// verify/restore_native: a native (physical) snapshot restored into the scratch instance — its
// server is stopped, the snapshot's data directory is checked against its manifest and replaces
// the scratch one, and the server starts on it (jobs::RestoreNativeSnapshot does the work).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "engine/cluster_handle.h"
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

}  // namespace hasteward::verify
