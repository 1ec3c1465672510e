// jobs/instant_restore: `restore --instant` — a native snapshot served in place instead of
// restored first. The snapshot's data directory is mounted read-only (FUSE, this process serves
// it), an overlay with a writable upper directory on local disk becomes the instance's data
// directory, and the instance starts on it: writable after the engine's recovery, whatever the
// size. Then hydration: the snapshot is restored to local disk beside it while the instance runs,
// and at one short pause (stop, apply the upper layer to the copy, swap, start) the instance moves
// off the mount. Each step is recorded (jobs/instant_state.h) so that a rerun after a kill
// finishes it. docs/instant-restore.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "engine/native_backup.h"
#include "jobs/native_backup.h"
#include "repo/repository.h"

namespace hasteward::jobs {

// What an instant restore tells its caller as it goes (the command prints it).
enum class InstantEvent {
  kWritable,  // the instance runs on the overlay and accepts writes; hydration starts
  kHydrated,  // the copy is complete; the pause starts
  kLocal,     // the instance runs on its local data directory; the mount is gone
};

struct InstantRestoreOptions {
  engine::NativeRestoreOptions native;  // as a native restore (confirmations, gate, stamp)
  uint64_t cache_bytes = uint64_t{256} * 1024 * 1024;  // the mount's blob cache
  // Called at each event with the instance's name.
  std::function<void(InstantEvent, const std::string& instance)> on_event;
  // Run on the started instance before it is announced writable and hydrated: what must reach it
  // before any application writes (a binlog replay to a point, which the engine's own start
  // cannot do). A failure stops the instance and fails the restore, which a rerun starts over;
  // not run when a rerun finishes a killed restore, whose instance was already writable.
  std::function<core::Status(const platform::Instance&)> before_writable;
};

struct InstantRestoreResult {
  std::string instance;
  bool resumed = false;         // a killed run's restore was finished
  double writable_seconds = 0;  // from the call to kWritable (0 when resumed past it)
  double hydrate_seconds = 0;   // the copy to local disk
  double pause_seconds = 0;     // instance stopped until it runs on local disk again
  uint64_t hydrated_bytes = 0;
  std::vector<std::string> captured;  // the discard gate's captures (NativeRestoreResult)
};

// Restores `snapshot` (native) instantly and hydrates it, returning once the instance runs on its
// local data directory and the other instances were re-cloned from it. The same plan, refusals
// and discard gate as RestoreNativeSnapshot come first. When an instance of the cluster has an
// instant restore in progress (a killed run), it is finished instead: `snapshot` must be the one
// it restores (kUsage naming it otherwise). kStorage when FUSE or overlayfs cannot be mounted
// (needs root). The caller holds the repository lock and loaded the index.
core::Result<InstantRestoreResult> RestoreNativeInstant(const engine::ClusterHandle& target,
                                                        repo::Repository& repo,
                                                        const repo::Snapshot& snapshot,
                                                        const InstantRestoreOptions& options);

// An instance that runs on an instant restore's overlay with no hydration (verify --instant):
// the snapshot is served for as long as this object lives. Close() (or the destructor) stops the
// instance, unmounts the overlay and the snapshot and removes the layers: the data directory is
// the empty directory it was before, and nothing was ever copied.
class InstantServing {
 public:
  virtual ~InstantServing() = default;
  virtual core::Status Close() = 0;
};

// Serves `snapshot` as the data directory of the target's stopped instance and starts it, with
// the plan, refusals and discard gate of a native restore and without re-cloning the other
// instances or hydrating. Errors as RestoreNativeInstant.
core::Result<std::unique_ptr<InstantServing>> ServeNativeInstant(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const InstantRestoreOptions& options);

}  // namespace hasteward::jobs
