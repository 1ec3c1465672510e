// jobs: the operations users run, assembled from the layers below — back up a cluster (engine dump
// stream -> repository), restore one (repository -> engine restore stream), capture diverged
// instances. Policy (which snapshot, which tags, which time) lives here; mechanisms live in repo
// and engine, which never see each other.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "catalog/cluster_snapshots.h"
#include "core/status.h"
#include "engine/cluster_handle.h"
#include "engine/engine.h"
#include "platform/platform.h"
#include "repo/backup/stream_backup.h"
#include "repo/repository.h"
#include "repo/snapshot/snapshot_type.h"

namespace hasteward::jobs {

struct ClusterBackupOptions {
  repo::SnapshotType type = repo::SnapshotType::kBackup;  // or kDiverged (repair captures)
  std::string job;          // job tag (diverged captures of one repair share it)
  int ordinal_prefix = -1;  // diverged: "<ns>/<cluster>/<N>-<file>"
  repo::GoTime job_start;   // snapshot time: when the job began (README "Snapshot Timestamps")
  repo::CompressionOptions compression;
  std::function<void(const repo::BackupProgress&)> progress;
  // How long to wait for another job's exclusive repository lock (a prune) before failing with
  // kLocked; `serve` waits minutes, the CLI as long as --retry-lock says.
  std::chrono::milliseconds lock_wait{0};
};

struct ClusterBackupResult {
  repo::BackupSummary summary;
  engine::BackupPlan plan;
  std::string path;
};

// "20060102T150405Z" (UTC): names what a job keeps (moved-aside data directories) and tags it.
std::string JobStamp(int64_t unix_seconds);

// The tags every HASteward snapshot carries (engine, cluster, namespace, type[, job]).
std::vector<std::string> SnapshotTags(const platform::Cluster& cluster, repo::SnapshotType type,
                                      const std::string& job);

// A planned dump and how errors name the job storing it ("backup of 'ns/db' from 'db-1'").
struct PlannedDump {
  engine::BackupPlan plan;
  std::string what;
};

// Opens the planned source's dump and stores it as one snapshot with the HASteward tags, virtual
// path <ns>/<cluster>/[<ordinal>-]<dump file> and the job start time. Shared by backups and
// repair captures.
core::Result<ClusterBackupResult> StorePlannedDump(const engine::ClusterHandle& target,
                                                   repo::Repository& repo, const PlannedDump& dump,
                                                   const ClusterBackupOptions& options);

// Plans the backup source, streams its dump into the repository and saves a snapshot tagged for
// the cluster. The dump's failure (exit status, lost connection, missing end marker) fails the job
// and saves no snapshot.
core::Result<ClusterBackupResult> BackupCluster(const engine::ClusterHandle& target,
                                                repo::Repository& repo,
                                                const ClusterBackupOptions& options);

// How a backup was taken: a logical dump (no method tag) or a native one (tag method=native).
enum class SnapshotMethod { kAny, kDump, kNative };
// "" or "any" -> kAny, "dump", "native"; kUsage naming the choices otherwise.
core::Result<SnapshotMethod> ParseSnapshotMethod(const std::string& name);
// Whether `snapshot` was taken by `method` (kAny: always).
bool HasMethod(const repo::Snapshot& snapshot, SnapshotMethod method);

struct ClusterRestoreOptions {
  std::string snapshot =
      "latest";  // ID, prefix or "latest" among the cluster's snapshots of `type`
  // Any type (nullopt) when an explicit ID is given.
  repo::SnapshotTypeSelector type = repo::SnapshotType::kBackup;
  int instance = -1;  // >= 0: the diverged capture of this instance ordinal
  // Which backups "latest" (or a prefix) may select: any, dump or native (tag method=native).
  SnapshotMethod method = SnapshotMethod::kAny;
  engine::RestoreOptions engine_options;
  // The restore triages the cluster first (jobs/repair_restore_guard.h); this confirms rewinding a
  // split-brain cluster or one with an UNKNOWN instance.
  bool confirm_rewind = false;
  std::function<void(uint64_t done, uint64_t total, double seconds)> progress;
  // Native snapshots (method=native): restore one of another system identifier or major version
  // than the target's data; the stamp naming the kept data directories.
  bool force = false;
  std::string stamp;
  // Native snapshots: how long a started or rebuilt instance has to come back
  // (engine::HealOptions::heal_timeout).
  std::chrono::seconds heal_timeout{600};
  // The cluster whose snapshots are selected (by its tags); none = the target itself. A restore
  // into a sandbox (jobs/sandbox_restore.h) restores another cluster's backup.
  std::optional<platform::Cluster> source;
  // Native snapshots: engine::NativeRestoreOptions::before_first_write (the caller records the
  // rewind in the cluster's archive before the restored primary can take a write).
  std::function<core::Status(const std::map<std::string, std::string>& facts)> before_first_write;
};

struct ClusterRestoreResult {
  repo::Snapshot snapshot;
  uint64_t bytes = 0;
};

// Restores a snapshot of the cluster (selected by its tags) into the cluster's restore target.
core::Result<ClusterRestoreResult> RestoreCluster(const engine::ClusterHandle& target,
                                                  repo::Repository& repo,
                                                  const ClusterRestoreOptions& options);

// The snapshot a restore with `options` selects (snapshot, type, instance, method). Read-only.
core::Result<repo::Snapshot> SelectRestoreSnapshot(repo::Repository& repo,
                                                   const platform::Cluster& cluster,
                                                   const ClusterRestoreOptions& options);

// What a restore would do, changing nothing (restore --dry-run): the selected snapshot and the
// engine's plan for it (a native snapshot: the data directory it replaces and the instances it
// rebuilds; a dump: the instance it is loaded into). The plan's refusals are returned as errors.
struct RestorePreview {
  repo::Snapshot snapshot;
  bool native = false;
  std::string target;  // instance name
  std::string reason;
};
core::Result<RestorePreview> PreviewRestore(const engine::ClusterHandle& target,
                                            repo::Repository& repo,
                                            const ClusterRestoreOptions& options);

// The cluster's snapshots of the selected type (catalog/cluster_snapshots.h; the catalogue's
// WAL index rebuild reads them below jobs).
using catalog::ClusterSnapshots;

}  // namespace hasteward::jobs
