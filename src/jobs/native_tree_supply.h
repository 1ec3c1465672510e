// jobs/native_tree_supply: how a native restore gets the snapshot's tree into the staging
// directory beside the target's data directory, chosen once by what the platform can do with the
// target: restored into it here (the files are on this machine, kLocalFilesystem), or streamed as
// one tar into `tar -x` run where the instance lives (a pod, through its exec), with no temporary
// file on either side. Both check every file against the backup's checksum manifest as it passes
// (engine::RestoredTreeCheck) and then have the engine check the tree (CheckRestoredTree).
#pragma once

#include <memory>

#include "jobs/native_backup.h"

namespace hasteward::jobs {

// The supply for a restore into the instance `target` opens.
std::unique_ptr<NativeTreeSupply> TreeSupplyFor(const platform::InstanceHandle& target,
                                                repo::Repository& repo);

// A supply that picks TreeSupplyFor of the plan's target when Stage runs (the target is known
// only then) and hands every call to it: what RestoreNativeSnapshot uses.
std::unique_ptr<NativeTreeSupply> TreeSupplyForPlanTarget(repo::Repository& repo);

}  // namespace hasteward::jobs
