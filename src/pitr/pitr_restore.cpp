#include "pitr/pitr_restore.h"

#include "core/log.h"
#include "jobs/native_backup.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::pitr {

core::Result<PointRestoreResult> RestoreToPoint(const engine::ClusterHandle& target,
                                                repo::Repository& repo,
                                                const PointRestoreOptions& options) {
  const platform::Cluster& cluster = options.source ? *options.source : target.cluster();
  engine::Archiving* archiving = target.engine().archiving();
  if (archiving == nullptr) {
    return engine::Unsupported(target.engine(), "point-in-time recovery");
  }
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(auto bases, ListBaseBackups(repo, cluster, *archiving));
  HS_ASSIGN_OR_RETURN(WalCatalog catalog, WalCatalog::Load(repo, cluster, *archiving));
  HS_TRY(catalog.LoadHistories(repo, *archiving));
  PointRestoreResult result;
  HS_ASSIGN_OR_RETURN(result.plan, PlanPoint(bases, catalog, *archiving, options.target, cluster));
  core::LogInfo(
      "point-in-time restore from base " +
          repo::IdToHex(result.plan.base.snapshot.id).substr(0, 8) + " to " + result.plan.target,
      {{"timeline", std::to_string(result.plan.timeline)},
       {"last_segment",
        archiving->SegmentFileName(result.plan.last_timeline, result.plan.last_segment)}});
  engine::NativeRestoreOptions native;
  native.confirm_overwrite = options.confirm_overwrite;
  native.force = options.force;
  native.heal = options.heal;
  native.recovery = engine::RecoveryRequest{.restore_command = options.restore_command,
                                            .kind = options.target.kind,
                                            .target = result.plan.target,
                                            .timeline = result.plan.timeline};
  HS_ASSIGN_OR_RETURN(jobs::NativeRestoreResult restored,
                      jobs::RestoreNativeSnapshot(target, repo, result.plan.base.snapshot, native));
  result.bytes = restored.bytes;
  HS_TRY(lock->Release());
  return result;
}

}  // namespace hasteward::pitr
