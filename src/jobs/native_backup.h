// jobs/native_backup: physical backups (`backup --method native`) stored as a file tree in one
// snapshot, and their restore. The engine's NativeBackup capability produces the members of the
// data directory and restores into a stopped instance; this layer connects them to the repository:
// each member becomes a node under "<ns>/<cluster>/data" (page-structured data files chunked in
// fixed blocks so a changed page re-stores only its block; stock `restic restore` of that path
// gives a data directory), and the backup's facts become tags.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "catalog/base_backup_record.h"
#include "core/status.h"
#include "engine/native_backup.h"
#include "jobs/jobs.h"

namespace hasteward::jobs {

struct NativeBackupOptions {
  ClusterBackupOptions cluster;  // type, job start, compression, progress, lock wait
  size_t block_size = 0;         // data-file block size; 0 = the engine's default
  int threads = 0;               // encoding workers; 0 = one per core
  // Incremental reads (an engine that supports them, its source's data directory on this
  // machine; jobs/native_parent.h): read everything this time (--full), or every N backups
  // (--full-every N; 0: never). True here, so a caller reads everything unless it asks; the
  // `backup` command asks by default (--no-incremental: not), and serve's scheduled backups run
  // that command.
  bool full = true;
  int full_every = 7;
};

struct NativeBackupResult {
  repo::BackupSummary summary;
  engine::BackupPlan plan;
  std::string path;                          // "/<ns>/<cluster>/data"
  std::map<std::string, std::string> facts;  // the engine's metadata
  catalog::BaseBackupRecord record;          // what the catalogue records (stored as tags)
  uint64_t reused_bytes = 0;                 // blocks taken from the parent without reading
};

// Whether the data directory of `instance` is on this machine (the platform gives its files
// here: kLocalFilesystem).
core::Result<bool> DataDirectoryIsLocal(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const platform::Instance& instance);

// "<ns>/<cluster>/data": where a native snapshot keeps the data directory.
std::string NativeDataPath(const platform::Cluster& cluster);

// Where `snapshot` keeps the data directory to restore into `target`: the path it names (a
// verification restores another cluster's snapshot into its scratch cluster), else
// NativeDataPath.
std::string NativeTreePathOf(const engine::ClusterHandle& target, const repo::Snapshot& snapshot);

// Plans the source, streams its base backup into one snapshot tagged method=native (plus the
// usual tags, source_instance and the engine's facts: system identifier, timeline, start/stop
// LSN, major version). A failed or killed base backup saves no snapshot. kUsage when the engine has
// no native backups.
core::Result<NativeBackupResult> BackupClusterNative(const engine::ClusterHandle& target,
                                                     repo::Repository& repo,
                                                     const NativeBackupOptions& options);

struct NativeRestoreResult {
  engine::NativeRestorePlan plan;
  uint64_t bytes = 0;
  uint64_t files = 0;
  // Data newer than the snapshot that the restore replaced with consent, captured as diverged
  // snapshots before it changed anything: "<snapshot id> <path>" (jobs/discard_gate.h).
  std::vector<std::string> captured;
  // Instances whose data directory a killed run of this restore had left holding its unfinished
  // output (engine::StopUnfinishedRestores): stopped if running, restored again, the old kept.
  std::vector<std::string> unfinished;
  // The discard gate's answer as the restore applied it (HealOptions::keep_replaced): replaced
  // data directories are kept. A caller that re-clones later (an instant restore) keeps them too.
  bool keep_replaced = false;
};

// Whether a native restore into `target` can run on its platform at all, before a caller reads
// or prepares anything for it (engine::NativeBackup::CheckRestorable); the engine's Unsupported
// error where it has no native restores.
core::Status CheckNativeRestorable(const engine::ClusterHandle& target);

// kUsage when an instance's data directory is not on this machine (a pod). A plain native restore
// no longer needs that (it streams the tree through the instance's exec, native_tree_supply.h),
// nor do the point-in-time restores (the WAL streams into the pod, the binlogs replay through the
// server's connection); an instant restore does (it serves the snapshot from a FUSE mount on
// this machine). It calls this first, so nothing is read or changed before.
core::Status RefuseRemoteDataDirectories(platform::Platform& platform,
                                         const platform::Cluster& cluster);

// Restores a native snapshot of the cluster: the engine plans (and refuses) first, then the tree
// is written into its staging directory (restored here, or streamed through the target's exec
// where its files are not on this machine: native_tree_supply.h) and checked, the discard gate
// refuses to replace newer data without options.confirm_rewind (jobs/discard_gate.h), and the
// engine moves the tree into place, starts the target and re-clones the other instances. The
// caller holds the repository lock and loaded the index.
core::Result<NativeRestoreResult> RestoreNativeSnapshot(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options);

// How a native restore gets the snapshot's tree to the engine: written into the staging
// directory (RestoreNativeSnapshot, jobs/native_tree_supply.h), or served in place by an instant
// restore (jobs/instant_restore.h).
class NativeTreeSupply {
 public:
  virtual ~NativeTreeSupply() = default;
  // Makes the tree readable at result.plan.staging_dir and has the engine check it
  // (CheckRestoredTree); records its size in `result`. On failure the data directory was not
  // touched and nothing is left in the staging directory.
  virtual core::Status Stage(const engine::ClusterHandle& target, engine::NativeBackup& native,
                             const repo::Snapshot& snapshot, NativeRestoreResult& result) = 0;
  // After the discard gate passed, right before the engine swaps the staging directory in: the
  // supply may set the plan's hooks (before_start) or take over plan.rebuild.
  virtual core::Status BeforeFinish(engine::NativeRestorePlan& plan) = 0;
  // The gate refused: undo what Stage made.
  virtual void Abandon(const engine::NativeRestorePlan& plan) = 0;
};

// RestoreNativeSnapshot with the tree supplied by `supply`.
core::Result<NativeRestoreResult> RestoreNativeSnapshotWith(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options, NativeTreeSupply& supply);

}  // namespace hasteward::jobs
