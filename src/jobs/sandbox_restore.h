// jobs/sandbox_restore: `restore --into-sandbox` — a backup of a cluster restored into a new
// one-instance sandbox cluster (platform/sandbox.h) that is left running to be inspected and then
// removed with `sandbox down`. With `instant` the native snapshot is served on an overlay of its
// mount first (jobs/instant_restore.h): the sandbox accepts queries within seconds, and the call
// returns once it was hydrated to local disk. The backed-up cluster is only read: its tags select
// the snapshot, and for a native backup its credentials are the restored data's own. Nothing
// existing is replaced, so no confirmation is asked; a failure removes the half-made sandbox.
#pragma once

#include <functional>
#include <optional>

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "jobs/instant_restore.h"
#include "jobs/jobs.h"
#include "platform/sandbox.h"
#include "repo/repository.h"

namespace hasteward::jobs {

// What a point-in-time restore into the sandbox did: its base and size, and with `instant` the
// timings of serving the base.
struct SandboxPointRestored {
  ClusterRestoreResult restored;
  std::optional<InstantRestoreResult> instant;
};

// The restore a caller binds from a higher layer (the pitr layer's point-in-time restores, which
// this layer may not include): restores into `sandbox`, whose server is stopped and whose
// cluster carries the source's credentials; with `instant` set it serves the base instantly
// (SandboxRestoreOptions::instant, passed through).
using SandboxPointRestore = std::function<core::Result<SandboxPointRestored>(
    const engine::ClusterHandle& sandbox, const std::optional<InstantRestoreOptions>& instant)>;

struct SandboxRestoreOptions {
  // Name, namespace, state dir and inventory of the new sandbox; its engine (the source's
  // ScratchKind: a Galera backup restores into a plain MariaDB instance) and size (1) are set here.
  platform::sandbox::SandboxSpec sandbox;
  // Which snapshot (snapshot, type, instance, method) and progress; the rest is set here.
  ClusterRestoreOptions restore;
  // Set for a point-in-time restore: replaces the snapshot restore (always a native base).
  SandboxPointRestore point_restore;
  // Set for --instant: the snapshot (native only; a point restore's base) is served, then
  // hydrated; its confirmations are set here (the sandbox is new), its events and cache come from
  // the caller.
  std::optional<InstantRestoreOptions> instant;
};

struct SandboxRestoreResult {
  platform::Cluster sandbox;      // as the inventory records it: its credentials connect
  ClusterRestoreResult restored;  // the snapshot (a point-in-time restore: its base) and bytes
  bool native = false;            // the sandbox holds a physical copy (the source's roles)
  std::optional<InstantRestoreResult> instant;  // set by an instant restore: its timings
};

// Selects the snapshot (kNotFound before anything is made), brings the sandbox up (kAlreadyExists
// when the inventory holds that name), restores into it and leaves it running. A native snapshot
// replaces the sandbox's data (its server stopped first), after which the inventory records the
// source's credentials (platform::sandbox::AdoptCredentials). Any failure after the sandbox came
// up removes it again (the error says so); the repository lock is taken by the restore. With
// `instant`, kUsage before anything is made for a dump snapshot.
core::Result<SandboxRestoreResult> RestoreIntoSandbox(const platform::Cluster& source,
                                                      repo::Repository& repo,
                                                      const SandboxRestoreOptions& options);

}  // namespace hasteward::jobs
