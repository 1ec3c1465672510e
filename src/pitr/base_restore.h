// pitr/base_restore: the base backup of a point-in-time restore put in place, either restored to
// local disk first or served instantly and hydrated after (jobs/instant_restore.h). Every archive
// kind restores its base through this one call and names only what brings the started instance
// to the point: nothing for WAL (the server's own recovery, configured in the native options),
// the replay for binlogs. So `restore --instant --until` is not a second restore per archive kind.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "engine/native_backup.h"
#include "jobs/instant_restore.h"
#include "platform/cluster.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct BaseRestore {
  engine::NativeRestoreOptions native;  // the base's native restore (recovery, gate, rebuilds)
  // Set: serve the base instantly (its events and cache; its native options are the ones above).
  std::optional<jobs::InstantRestoreOptions> instant;
  // Run on the restored, started instance before it takes application writes; empty when the
  // native options' recovery already brings it to the point.
  std::function<core::Status(const platform::Instance&)> to_point;
  // A plain restore's last check before the base replaces the target's data directory (after the
  // discard gate), given the instance the engine restores into: what the caller prepared for
  // that instance beforehand (the archived WAL streamed into its pod) must be there. Empty: none.
  std::function<core::Status(const platform::Instance&)> before_swap = {};
};

struct RestoredBase {
  platform::Instance instance;  // the restored instance, at the point
  uint64_t bytes = 0;           // of the base (an instant restore: what hydration copied)
  // A plain restore's instances the engine left for the caller to rebuild after the point was
  // reached (NativeRestoreOptions::rebuild_later); an instant restore re-cloned them already.
  std::vector<platform::Instance> rebuild_deferred;
  std::optional<jobs::InstantRestoreResult> instant;  // an instant restore's timings
};

// Restores `base` into `target` as `how` says and runs `how.to_point` on the restored instance.
// Errors as jobs::RestoreNativeSnapshot or jobs::RestoreNativeInstant, and to_point's. The caller
// holds the repository lock (an instant restore reads the repository until it returns) and
// loaded the index.
core::Result<RestoredBase> RestoreBase(const engine::ClusterHandle& target, repo::Repository& repo,
                                       const repo::Snapshot& base, const BaseRestore& how);

}  // namespace hasteward::pitr
