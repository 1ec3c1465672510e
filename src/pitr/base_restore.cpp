#include "pitr/base_restore.h"

#include <string>

#include "jobs/native_backup.h"

namespace hasteward::pitr {

namespace {

core::Result<RestoredBase> RestoreToLocalDisk(const engine::ClusterHandle& target,
                                              repo::Repository& repo, const repo::Snapshot& base,
                                              const BaseRestore& how) {
  HS_ASSIGN_OR_RETURN(jobs::NativeRestoreResult restored,
                      jobs::RestoreNativeSnapshot(target, repo, base, how.native));
  RestoredBase out;
  out.instance = restored.plan.target;
  out.bytes = restored.bytes;
  if (restored.plan.rebuild_deferred)
    out.rebuild_deferred = restored.plan.rebuild;
  if (how.to_point)
    HS_TRY(how.to_point(out.instance));
  return out;
}

core::Result<RestoredBase> ServeInstantly(const engine::ClusterHandle& target,
                                          repo::Repository& repo, const repo::Snapshot& base,
                                          const BaseRestore& how) {
  jobs::InstantRestoreOptions instant = *how.instant;
  instant.native = how.native;
  // Before the instance is announced writable and before hydration: a point reached on the
  // overlay lands in its upper layer, which the pause applies to the hydrated copy.
  instant.before_writable = how.to_point;
  HS_ASSIGN_OR_RETURN(jobs::InstantRestoreResult served,
                      jobs::RestoreNativeInstant(target, repo, base, instant));
  RestoredBase out;
  for (const auto& instance : target.cluster().instances) {
    if (instance.name == served.instance)
      out.instance = instance;
  }
  out.bytes = served.hydrated_bytes;
  out.instant = std::move(served);
  return out;
}

}  // namespace

core::Result<RestoredBase> RestoreBase(const engine::ClusterHandle& target, repo::Repository& repo,
                                       const repo::Snapshot& base, const BaseRestore& how) {
  if (how.instant)
    return ServeInstantly(target, repo, base, how);
  return RestoreToLocalDisk(target, repo, base, how);
}

}  // namespace hasteward::pitr
