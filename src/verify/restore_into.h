// verify/restore_into: streaming a backup snapshot into the scratch instance through the one
// restore pipeline (jobs/restore_into.h), which notices a dump that ends without its tool's end
// marker — exactly what verification exists to catch.
#pragma once

#include "core/status.h"
#include "engine/engine.h"
#include "jobs/restore_into.h"
#include "repo/repository.h"
#include "verify/scratch_instance.h"

namespace hasteward::verify {

// Restores `snap` (its only file) into the scratch instance with the engine's restore client.
// Calls the failpoint "verify-mid-restore" after the first block reached the client. A failing
// restore client or an unreadable snapshot is reported in `restore` (a verdict, not an error);
// errors are what stops the restore from starting (lock, index, the scratch server).
core::Result<jobs::RestoreIntoResult> RestoreInto(repo::Repository& repo,
                                                  const repo::Snapshot& snap,
                                                  engine::Engine& engine, ScratchInstance& scratch);

}  // namespace hasteward::verify
