#include "jobs/sandbox_restore.h"

#include "catalog/base_backup_record.h"
#include "core/log.h"
#include "engine/engine.h"
#include "jobs/native_backup.h"
#include "platform/registry.h"
#include "platform/state_dir.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::jobs {

namespace {

// Removes the sandbox unless Keep() was called: whatever failed after `sandbox up`, no half-made
// cluster stays behind in the inventory or on disk.
class SandboxGuard {
 public:
  explicit SandboxGuard(const platform::sandbox::SandboxSpec& spec) : spec_(spec) {}
  ~SandboxGuard() {
    if (keep_)
      return;
    core::Status down = platform::sandbox::Down(spec_.inventory_path, spec_.ns, spec_.name);
    if (!down.ok()) {
      core::LogError("removing the failed restore's sandbox failed",
                     {{"sandbox", spec_.ns + "/" + spec_.name}, {"error", down.message()}});
    }
  }
  SandboxGuard(const SandboxGuard&) = delete;
  SandboxGuard& operator=(const SandboxGuard&) = delete;
  void Keep() { keep_ = true; }

 private:
  const platform::sandbox::SandboxSpec& spec_;
  bool keep_ = false;
};

// The instant restore into the sandbox's stopped instance: served, then hydrated. The sandbox is
// new, so its own initdb's data is replaced without asking (set aside like any, not deleted).
core::Result<InstantRestoreResult> ServeThenHydrate(const engine::ClusterHandle& target,
                                                    repo::Repository& repo,
                                                    const SandboxRestoreOptions& options,
                                                    const repo::Snapshot& snapshot) {
  InstantRestoreOptions instant = *options.instant;
  instant.native.confirm_overwrite = true;
  instant.native.force = true;
  instant.native.confirm_rewind = true;
  instant.native.heal.stamp = options.restore.stamp;
  instant.native.into_another_cluster = true;
  // Shared for as long as the snapshot is served: prune must not delete the packs it reads.
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(InstantRestoreResult served,
                      RestoreNativeInstant(target, repo, snapshot, instant));
  HS_TRY(lock->Release());
  return served;
}

// Restores into the sandbox that Up made (`result.native`: its data is replaced) and fills
// result.restored (and result.instant). `snapshot`: the selected one (null for a point restore).
core::Status Fill(const platform::Cluster& source, repo::Repository& repo,
                  const SandboxRestoreOptions& options, const platform::Cluster& made,
                  const repo::Snapshot* snapshot, SandboxRestoreResult& result) {
  // A sandbox is always served by the local platform, whatever --platform says of the source.
  platform::PlatformOptions local_platform;
  local_platform.name = platform::kDefaultPlatform;
  local_platform.inventory_path = options.sandbox.inventory_path;
  HS_ASSIGN_OR_RETURN(auto local, platform::OpenPlatform(local_platform));
  platform::Cluster cluster = made;
  if (result.native) {
    // The restored data holds the source's roles and passwords, and a physical restore replaces
    // the data directory of a stopped server only.
    cluster.credentials = source.credentials;
    HS_TRY(local->StopInstance(cluster, cluster.instances.front())
               .Wrap("stop the sandbox server before the native restore"));
  }
  HS_ASSIGN_OR_RETURN(auto target, engine::ClusterHandle::Open(*local, cluster));
  if (options.point_restore) {
    HS_ASSIGN_OR_RETURN(SandboxPointRestored restored,
                        options.point_restore(target, options.instant));
    result.restored = restored.restored;
    result.instant = std::move(restored.instant);
    return core::Status::Ok();
  }
  if (options.instant) {
    HS_ASSIGN_OR_RETURN(result.instant, ServeThenHydrate(target, repo, options, *snapshot));
    result.restored = ClusterRestoreResult{*snapshot, result.instant->hydrated_bytes};
    return core::Status::Ok();
  }
  ClusterRestoreOptions restore = options.restore;
  restore.source = source;
  // The sandbox is new and ours: nothing in it can be overwritten, and its system identifier is
  // its own initdb's, never the backup's.
  restore.engine_options.confirm_overwrite = true;
  restore.force = true;
  restore.confirm_rewind = true;  // what it holds is its own initdb's (set aside, not deleted)
  HS_ASSIGN_OR_RETURN(result.restored, RestoreCluster(target, repo, restore));
  return core::Status::Ok();
}

}  // namespace

core::Result<SandboxRestoreResult> RestoreIntoSandbox(const platform::Cluster& source,
                                                      repo::Repository& repo,
                                                      const SandboxRestoreOptions& options) {
  SandboxRestoreResult result;
  SandboxRestoreOptions resolved = options;
  std::optional<repo::Snapshot> snapshot;
  if (options.point_restore) {
    result.native = true;
  } else {
    // Chosen before the sandbox exists, so a missing snapshot makes nothing; the restore below
    // gets its full ID and cannot pick another one.
    HS_ASSIGN_OR_RETURN(snapshot, SelectRestoreSnapshot(repo, source, options.restore));
    result.native = catalog::IsNativeBackup(*snapshot);
    resolved.restore.snapshot = repo::IdToHex(snapshot->id);
    if (options.instant && !result.native) {
      return core::Usage("--instant serves a native snapshot; " +
                             resolved.restore.snapshot.substr(0, 8) + " is a dump",
                         "drop --instant, or pick a native snapshot (--method native)");
    }
  }
  HS_ASSIGN_OR_RETURN(auto source_engine, engine::MakeEngine(source.engine));
  platform::sandbox::SandboxSpec& spec = resolved.sandbox;
  spec.engine = source_engine->ScratchKind();
  spec.instances = 1;
  if (spec.inventory_path.empty())
    spec.inventory_path = platform::DefaultInventoryPath();
  HS_ASSIGN_OR_RETURN(platform::Cluster made, platform::sandbox::Up(spec));
  SandboxGuard guard(spec);
  std::string what = "restore into sandbox '" + spec.ns + "/" + spec.name + "'";
  core::Status filled = Fill(source, repo, resolved, made, snapshot ? &*snapshot : nullptr, result);
  if (!filled.ok()) {
    return filled.Wrap(what + " (the sandbox was removed again)");
  }
  result.sandbox = std::move(made);
  if (result.native) {
    HS_TRY(platform::sandbox::AdoptCredentials(spec.inventory_path, spec.ns, spec.name,
                                               source.credentials)
               .Wrap(what + " (the sandbox was removed again)"));
    result.sandbox.credentials.user = source.credentials.user;  // the password file is the same
  }
  guard.Keep();
  return result;
}

}  // namespace hasteward::jobs
