#include <algorithm>

#include "catalog/base_backup_record.h"
#include "core/log.h"
#include "engine/triage.h"
#include "jobs/jobs.h"
#include "jobs/native_backup.h"
#include "jobs/operator_native_restore.h"
#include "jobs/repair_restore_guard.h"
#include "jobs/restore_into.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::jobs {

core::Result<SnapshotMethod> ParseSnapshotMethod(const std::string& name) {
  if (name.empty() || name == "any") {
    return SnapshotMethod::kAny;
  }
  if (name == "dump") {
    return SnapshotMethod::kDump;
  }
  if (name == "native") {
    return SnapshotMethod::kNative;
  }
  return core::Usage("backup method '" + name + "' is not known",
                     "use --method dump (logical) or --method native (physical)");
}

bool HasMethod(const repo::Snapshot& snapshot, SnapshotMethod method) {
  switch (method) {
    case SnapshotMethod::kAny: return true;
    case SnapshotMethod::kDump: return !catalog::IsNativeBackup(snapshot);
    case SnapshotMethod::kNative: return catalog::IsNativeBackup(snapshot);
  }
  return false;
}

core::Result<repo::Snapshot> SelectRestoreSnapshot(repo::Repository& repo,
                                                   const platform::Cluster& cluster,
                                                   const ClusterRestoreOptions& options) {
  HS_ASSIGN_OR_RETURN(auto snaps, ClusterSnapshots(repo, cluster, options.type));
  if (options.instance >= 0) {
    // Diverged captures name the instance in the file: "<ns>/<cluster>/<N>-<dump file>".
    std::string prefix = "/" + std::to_string(options.instance) + "-";
    std::erase_if(snaps, [&prefix](const repo::Snapshot& s) {
      return std::none_of(s.paths.begin(), s.paths.end(), [&prefix](const std::string& p) {
        return p.find(prefix) != std::string::npos;
      });
    });
  }
  // Why the method filters before "latest" is resolved: the newest snapshot of a cluster backed
  // up both ways is often the other kind than the one asked for.
  std::erase_if(snaps,
                [&options](const repo::Snapshot& s) { return !HasMethod(s, options.method); });
  auto snap = repo::Repository::FindSnapshot(snaps, options.snapshot);
  if (!snap.ok()) {
    return snap.TakeStatus().Wrap("cluster '" + cluster.ns + "/" + cluster.name + "'");
  }
  return std::move(*snap);
}

core::Result<RestorePreview> PreviewRestore(const engine::ClusterHandle& target,
                                            repo::Repository& repo,
                                            const ClusterRestoreOptions& options) {
  platform::Platform& platform = target.platform();
  const platform::Cluster& cluster = target.cluster();
  engine::Engine& engine = target.engine();
  RestorePreview preview;
  HS_ASSIGN_OR_RETURN(preview.snapshot,
                      SelectRestoreSnapshot(repo, options.source.value_or(cluster), options));
  if (catalog::IsNativeBackup(preview.snapshot)) {
    engine::NativeBackup* native = engine.native_backup();
    if (native == nullptr) {
      return engine::Unsupported(engine, "native restores");
    }
    engine::NativeRestoreOptions native_options;
    native_options.confirm_overwrite = options.engine_options.confirm_overwrite;
    native_options.force = options.force;
    HS_ASSIGN_OR_RETURN(auto stop, platform::OpenOperatorRestoreStop(platform, cluster));
    HS_ASSIGN_OR_RETURN(
        auto plan, stop != nullptr ? PlanNativeThroughOperator(target, *stop, native_options)
                                   : native->PlanNativeRestore(
                                         platform, cluster,
                                         catalog::TagFacts(preview.snapshot.tags), native_options));
    preview.native = true;
    preview.target = plan.target.name;
    preview.reason = "replaces the " + plan.reason;
    return preview;
  }
  HS_ASSIGN_OR_RETURN(auto plan, engine.PlanRestore(platform, cluster, options.engine_options));
  preview.target = plan.target.name;
  preview.reason = plan.reason;
  return preview;
}

core::Result<ClusterRestoreResult> RestoreCluster(const engine::ClusterHandle& target,
                                                  repo::Repository& repo,
                                                  const ClusterRestoreOptions& options) {
  const platform::Cluster& cluster = target.cluster();
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  auto snap = SelectRestoreSnapshot(repo, options.source.value_or(cluster), options);
  if (!snap.ok()) {
    return snap.TakeStatus();
  }
  HS_TRY(repo.LoadBlobIndex());
  if (catalog::IsNativeBackup(*snap)) {
    // A physical restore replaces the whole cluster from one stopped instance; the engine refuses a
    // running target and another cluster's backup, and rebuilds the other instances.
    engine::NativeRestoreOptions native;
    native.confirm_overwrite = options.engine_options.confirm_overwrite;
    native.force = options.force;
    native.confirm_rewind = options.confirm_rewind;
    native.heal.stamp = options.stamp;
    native.heal.heal_timeout = options.heal_timeout;
    native.into_another_cluster = options.source.has_value();
    native.before_first_write = options.before_first_write;
    // Where the operator keeps no single instance down, the restore stops them all itself.
    HS_ASSIGN_OR_RETURN(auto stop, platform::OpenOperatorRestoreStop(target.platform(), cluster));
    HS_ASSIGN_OR_RETURN(NativeRestoreResult restored,
                        stop != nullptr
                            ? RestoreNativeThroughOperator(target, repo, *snap, native, *stop)
                            : RestoreNativeSnapshot(target, repo, *snap, native));
    HS_TRY(lock->Release());
    return ClusterRestoreResult{*snap, restored.bytes};
  }
  // Triage first: never rewind newer data the restore cannot see (restoring blind is refused).
  engine::Engine& engine = target.engine();
  auto triage = engine.Triage(target.platform(), cluster);
  if (!triage.ok())
    return triage.TakeStatus().Wrap("triage before restore");
  HS_TRY(CheckRestoreTarget(*triage, options.confirm_rewind));
  // Plan (and refuse) before the restore client starts, so a refusal changes nothing.
  HS_ASSIGN_OR_RETURN(auto plan,
                      engine.PlanRestore(target.platform(), cluster, options.engine_options));
  core::LogInfo("restoring snapshot " + repo::IdToHex(snap->id).substr(0, 8) + " into '" +
                plan.target.name + "': " + plan.reason);
  RestoreIntoOptions into;
  into.plan = std::move(plan);
  into.progress = options.progress;
  HS_ASSIGN_OR_RETURN(RestoreIntoResult restored, RestoreSnapshotInto(repo, *snap, target, into));
  if (!restored.stream_complete) {
    return restored.restore.Wrap("restore of '" + target.QualifiedName() + "' stopped")
        .WithHint("the target may be partly restored; fix the cause and run the restore again");
  }
  HS_TRY(restored.restore);  // the client's failure, or a dump without its end marker
  HS_TRY(lock->Release());
  return ClusterRestoreResult{*snap, restored.bytes};
}

}  // namespace hasteward::jobs
