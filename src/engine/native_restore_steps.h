// engine/native_restore_steps: what every engine's native (physical) restore does the same way —
// the plan names the instances rebuilt from the restored one and requires the overwrite to be
// confirmed, and the snapshot's tree is restored into a fresh private staging directory beside the
// data directory (so a failed restore never touches the data directory itself).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Reads, where the target's data directory lives (an exec on a stopped pod runs in the helper
// pod that mounts its volume the same way), whether that directory is its volume's mount point,
// and sets plan.swap_place and plan.staging_dir accordingly: inside the data directory when it
// is ("<data dir>/#sql-hasteward-restore"), beside it otherwise ("<data dir>.hasteward-restore").
// A place that cannot tell (no /proc, a path it cannot enter) keeps the plan beside: there a
// swap that meets a mount point fails at its first rename, changing nothing.
core::Status ChooseSwapPlace(platform::Platform& platform, const platform::Cluster& cluster,
                             NativeRestorePlan& plan);

// Where the swap keeps the data directory it replaces: "<data dir>.hasteward-replaced-<stamp>"
// beside it, "<data dir>/#sql-hasteward-replaced-<stamp>" inside it (SwapInStaging adds ".N" when
// that exists).
std::string KeptDirFor(const NativeRestorePlan& plan, const std::string& stamp);

// Empties (or creates) plan.staging_dir on the target's host, mode 0700. First completes a swap
// that a killed restore left half done (SwapInStaging), so its verified tree is never removed
// while the data directory is missing.
core::Status MakeStagingDirectory(platform::Platform& platform, const platform::Cluster& cluster,
                                  const NativeRestorePlan& plan);

// The instances of `cluster` whose data directory is the unfinished output of a killed restore of
// snapshot `snapshot_id`: SwapInStaging recorded it ("<data dir>.hasteward-restoring") and the
// restore did not reach ClearUnfinishedRestores. A running one (the kill came after its start) is
// stopped, so the rerun starts over on it: its data directory is moved aside and kept like any
// other. Why: the plan refuses a running target, so without this a restore killed after the start
// could not be rerun. Returns their names.
core::Result<std::vector<std::string>> StopUnfinishedRestores(platform::Platform& platform,
                                                              const platform::Cluster& cluster,
                                                              const std::string& snapshot_id);

// Removes every instance's unfinished-restore record: the restore is complete.
core::Status ClearUnfinishedRestores(platform::Platform& platform,
                                     const platform::Cluster& cluster);

// Moves plan.staging_dir into the target's data directory and the old data directory (when there
// is one) to `kept` (or `kept`.N when that exists), never deleting either: a two-phase swap
// recorded in a journal before the first move and removed after the second phase. Beside the
// data directory ("<data dir>.hasteward-swap", naming `kept`) each phase is one rename. Inside it
// ("<data dir>/#sql-hasteward-swap", naming the phase and `kept`) phase one moves every entry of
// the data directory but lost+found and the "#sql-hasteward-" ones into `kept`, phase two every
// entry of the staging directory into the data directory; each move is one rename within the
// volume, and a rerun redoes the phase the journal names (a redone move finds what was moved
// gone). A process killed between the phases (failpoint "native-restore-swap") leaves the
// journal; the next restore's MakeStagingDirectory completes that swap. Before the first move,
// plan.snapshot_id is recorded beside (or inside) the data directory (StopUnfinishedRestores).
// The data directory is chmod 700 and `remove` (paths relative to it) deleted from the new tree.
// Returns where the old data directory was kept (nullopt: there was none).
core::Result<std::optional<std::string>> SwapInStaging(platform::Platform& platform,
                                                       const platform::Cluster& cluster,
                                                       const NativeRestorePlan& plan,
                                                       const std::string& kept,
                                                       const std::vector<std::string>& remove = {});

}  // namespace hasteward::engine
