// engine/native_restore_steps: what every engine's native (physical) restore does the same way —
// the plan names the instances rebuilt from the restored one and requires the overwrite to be
// confirmed, and the snapshot's tree is restored into a fresh private staging directory beside the
// data directory (so a failed restore never touches the data directory itself).
#pragma once

#include <string_view>

#include "core/status.h"
#include "engine/native_backup.h"
#include "platform/platform.h"

namespace hasteward::engine {

// Adds every other instance of `cluster` to plan.rebuild, sets plan.reason ("data directory of
// 'X' (dir); then 'Y', 'Z' <how> from it") and refuses with kConfirmationRequired, naming what
// would be replaced, unless options.confirm_overwrite.
core::Status CompleteNativeRestorePlan(const platform::Cluster& cluster,
                                       const platform::Instance& target, std::string_view how,
                                       const NativeRestoreOptions& options,
                                       NativeRestorePlan& plan);

// Empties (or creates) plan.staging_dir on the target's host, mode 0700.
core::Status MakeStagingDirectory(platform::Platform& platform, const platform::Cluster& cluster,
                                  const NativeRestorePlan& plan);

}  // namespace hasteward::engine
