// pitr/wal/wal_restore: `restore --until TIME | --until-lsn LSN` — the newest native base backup
// before the target, checked to be replayable to it with the archived WAL before anything is
// touched, restored, replayed by the server up to the target and promoted.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "engine/repair.h"
#include "jobs/instant_restore.h"
#include "pitr/wal/wal_plan.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct PointRestoreOptions {
  PointTarget target;
  // The server's own fetch command (BuildArchiveCommands(...).restore_command), asked for only
  // where the replaying server runs on this machine: in a pod the replay copies the WAL streamed
  // beside its data directory, and a password file of this machine's would name nothing there.
  std::function<core::Result<std::string>()> restore_command;
  bool confirm_overwrite = false;
  bool force = false;  // as for a native restore: another system identifier or version
  // As for a native restore: replace instances holding WAL past the archive's end (or of unknown
  // position), keeping their data (jobs/discard_gate.h); refused with kNewerData otherwise.
  bool confirm_rewind = false;
  engine::HealOptions heal;  // stamp, timeouts, log
  // The cluster whose base backups and archive are replayed; none = the target itself. A DR
  // activation restores its source's backups into another cluster (dr/activation.h); the
  // restore_command must then name that cluster too.
  std::optional<platform::Cluster> source;
  std::optional<jobs::InstantRestoreOptions> instant;  // serve the base (pitr/base_restore.h)
};

struct PointRestoreResult {
  PointPlan plan;
  uint64_t bytes = 0;
  std::optional<jobs::InstantRestoreResult> instant;
};

// Plans (PlanPoint: kNotFound / kSafetyStop before anything changes), then restores the base like
// a native restore (the engine's refusals: running target, missing confirmation, another cluster)
// with recovery to the target; the engine checks that replay stopped at the target
// (kVerifyFailed otherwise). Takes a shared repository lock.
core::Result<PointRestoreResult> RestoreToPoint(const engine::ClusterHandle& target,
                                                repo::Repository& repo,
                                                const PointRestoreOptions& options);

}  // namespace hasteward::pitr
