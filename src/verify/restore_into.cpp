#include "verify/restore_into.h"

#include <memory>

#include "core/failpoint.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::verify {

core::Result<jobs::RestoreIntoResult> RestoreInto(repo::Repository& repo,
                                                  const repo::Snapshot& snap,
                                                  const engine::ClusterHandle& scratch_target,
                                                  RepositoryAccess access) {
  std::unique_ptr<repo::RepoLock> lock;
  if (access == RepositoryAccess::kLocked) {
    HS_ASSIGN_OR_RETURN(lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  }
  HS_TRY(repo.LoadBlobIndex());
  engine::RestoreOptions ro;
  ro.confirm_overwrite = true;  // the scratch instance is ours and empty
  jobs::RestoreIntoOptions options;
  HS_ASSIGN_OR_RETURN(options.plan, scratch_target.engine().PlanRestore(
                                        scratch_target.platform(), scratch_target.cluster(), ro));
  options.after_first_block = [] {
    core::Failpoint("verify-mid-restore");
  };
  // Verification restores into its own scratch instance: a dump without its end marker is run
  // to the end so the checks show what is missing, and reported as incomplete.
  options.finish_incomplete_dump = true;
  HS_ASSIGN_OR_RETURN(auto r, jobs::RestoreSnapshotInto(repo, snap, scratch_target, options));
  if (!r.stream_complete)
    r.restore.Wrap("stream snapshot into the scratch instance");
  if (lock) {
    HS_TRY(lock->Release());
  }
  return r;
}

}  // namespace hasteward::verify
