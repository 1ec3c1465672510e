#include "verify/restore_native.h"

#include <memory>

#include "jobs/native_backup.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::verify {

core::Result<engine::ClusterHandle> RestoreNativeInto(repo::Repository& repo,
                                                      const repo::Snapshot& snap,
                                                      ScratchInstance& scratch,
                                                      const platform::Credentials& credentials,
                                                      uint64_t* bytes, RepositoryAccess access) {
  std::unique_ptr<repo::RepoLock> lock;
  if (access == RepositoryAccess::kLocked) {
    HS_ASSIGN_OR_RETURN(lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  }
  HS_TRY(repo.LoadBlobIndex());
  platform::Cluster cluster = scratch.cluster();
  cluster.credentials = credentials;
  HS_TRY(scratch.platform()
             .StopInstance(cluster, cluster.instances.front())
             .Wrap("stop the scratch server before the native restore"));
  engine::NativeRestoreOptions options;
  options.confirm_overwrite = true;  // the scratch instance is ours
  options.force = true;           // its system identifier is its own initdb's, never the backup's
  options.confirm_rewind = true;  // all it holds is that initdb's, set aside by the discard gate
  options.heal.stamp = "verify";
  options.into_another_cluster = true;  // the scratch server never archives as the source
  HS_ASSIGN_OR_RETURN(auto target, engine::ClusterHandle::Open(scratch.platform(), cluster));
  HS_ASSIGN_OR_RETURN(auto restored, jobs::RestoreNativeSnapshot(target, repo, snap, options));
  *bytes = restored.bytes;
  if (lock) {
    HS_TRY(lock->Release());
  }
  return target;
}

core::Result<InstantInto> RestoreNativeInstantInto(repo::Repository& repo,
                                                   const repo::Snapshot& snap,
                                                   ScratchInstance& scratch,
                                                   const platform::Credentials& credentials,
                                                   RepositoryAccess access) {
  std::unique_ptr<repo::RepoLock> lock;
  if (access == RepositoryAccess::kLocked) {
    // Held until the serving is closed would be better; the snapshot's packs are only deleted by
    // a prune, which the verification's own record keeps waiting for the next run.
    HS_ASSIGN_OR_RETURN(lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  }
  HS_TRY(repo.LoadIndex());
  platform::Cluster cluster = scratch.cluster();
  cluster.credentials = credentials;
  HS_TRY(scratch.platform()
             .StopInstance(cluster, cluster.instances.front())
             .Wrap("stop the scratch server before the instant restore"));
  jobs::InstantRestoreOptions options;
  options.native.confirm_overwrite = true;  // as RestoreNativeInto: the scratch instance is ours
  options.native.force = true;
  options.native.confirm_rewind = true;
  options.native.heal.stamp = "verify";
  options.native.into_another_cluster = true;
  HS_ASSIGN_OR_RETURN(auto target, engine::ClusterHandle::Open(scratch.platform(), cluster));
  InstantInto into{std::move(target), nullptr};
  HS_ASSIGN_OR_RETURN(into.serving, jobs::ServeNativeInstant(into.target, repo, snap, options));
  if (lock) {
    HS_TRY(lock->Release());
  }
  return into;
}

}  // namespace hasteward::verify
