#include "jobs/operator_native_restore.h"

#include "catalog/base_backup_record.h"
#include "core/log.h"
#include "engine/native_restore_steps.h"
#include "jobs/discard_gate.h"
#include "jobs/native_tree_supply.h"

namespace hasteward::jobs {

namespace {

// Hands the instances back to the operator when the restore leaves early: whatever stopped them
// (a failed stage, a failed swap, a server that did not start) must not leave the resource
// suspended and its pods scaled away. The restore's own start of the target hands them back on
// success; Resume then finds nothing to do.
class ResumeOnExit {
 public:
  ResumeOnExit(platform::OperatorRestoreStop& stop, std::chrono::milliseconds timeout)
      : stop_(stop), timeout_(timeout) {}
  ~ResumeOnExit() {
    if (armed_) {
      (void)Resume();
    }
  }
  ResumeOnExit(const ResumeOnExit&) = delete;
  ResumeOnExit& operator=(const ResumeOnExit&) = delete;

  core::Status Stop() {
    armed_ = true;
    return stop_.StopAll(timeout_);
  }
  // Resumes now; a failed resume's error carries the command that finishes it.
  core::Status Resume() {
    armed_ = false;
    core::Status resumed = stop_.Resume(timeout_);
    if (!resumed.ok()) {
      return resumed.Wrap("hand the instances back to the operator")
          .WithHint("run '" + stop_.ResumeCommand() + "' to scale them back and resume it");
    }
    return resumed;
  }
  // `failed` after the stop: resumed, and the failure says so or how to resume.
  core::Status Fail(core::Status failed) {
    core::Status resumed = Resume();
    if (!resumed.ok()) {
      core::LogWarn(resumed.ToString());
      return failed.WithHint(failed.hint() + "; the instances are still stopped: run '" +
                             stop_.ResumeCommand() + "' to hand them back to the operator");
    }
    return failed;
  }

 private:
  platform::OperatorRestoreStop& stop_;
  std::chrono::milliseconds timeout_;
  bool armed_ = false;
};

// What the target's data directory is in the place that runs its server.
enum class DataDirMount {
  kInsideAVolume,  // a directory of a filesystem mounted above it: the swap can rename it
  kMountPoint,     // the volume's mount point itself: the kernel refuses to rename it (EBUSY)
  kUnknown,        // the server is not running there, or the answer could not be read
};

// Run where the server runs: exits 0 when "$1" is a mount point (listed in mountinfo, whose
// fifth field is the mount point), 1 when not, 2 when it cannot tell. Shell builtins only: the
// server's image need not carry util-linux. A path with a space (escaped in mountinfo) never
// matches: that answers "not a mount point", and the swap then fails as before, changing nothing.
constexpr char kMountPointScript[] =
    "d=$(cd \"$1\" 2>/dev/null && pwd -P) || exit 2\n"
    "[ -r /proc/self/mountinfo ] || exit 2\n"
    "while read -r _ _ _ _ point _; do [ \"$point\" = \"$d\" ] && exit 0; done "
    "< /proc/self/mountinfo\n"
    "exit 1\n";

// Asks the target's running server's place whether its data directory is a mount point. Never
// starts anything: a stopped target (whose Exec would start a helper pod) is kUnknown.
DataDirMount ReadDataDirMount(const engine::ClusterHandle& target,
                              const platform::Instance& instance) {
  auto handle = target.platform().OpenInstance(target.cluster(), instance);
  if (!handle.ok()) {
    return DataDirMount::kUnknown;
  }
  auto running = (*handle)->IsRunning();
  if (!running.ok() || !*running) {
    return DataDirMount::kUnknown;
  }
  auto ran =
      (*handle)->Run({"sh", "-c", kMountPointScript, "hasteward-mountpoint", instance.data_dir});
  if (!ran.ok()) {
    return DataDirMount::kUnknown;
  }
  switch (ran->status.exit_code) {
    case 0: return DataDirMount::kMountPoint;
    case 1: return DataDirMount::kInsideAVolume;
    default: return DataDirMount::kUnknown;
  }
}

// The swap renames the data directory to keep it and renames the staging directory (its sibling)
// into its place. Where the volume is mounted at the data directory itself (mariadb-operator
// mounts its claim at /var/lib/mysql), that rename fails, and only after every instance was
// stopped and the whole tree streamed: refused here, before anything is stopped or written.
// Where the answer cannot be read the restore goes on: a failed swap changes nothing.
core::Status CheckDataDirSwappable(const engine::ClusterHandle& target,
                                   const platform::Instance& instance) {
  DataDirMount mount = ReadDataDirMount(target, instance);
  if (mount == DataDirMount::kUnknown) {
    core::LogWarn("native restore: could not tell whether '" + instance.data_dir + "' of '" +
                  instance.name + "' is a mount point; the swap refuses it if it is");
  }
  if (mount != DataDirMount::kMountPoint) {
    return core::Status::Ok();
  }
  return core::Usage(
      "a native restore of '" + target.QualifiedName() + "' cannot swap its data directory: '" +
          instance.data_dir + "' is the mount point of the volume of '" + instance.name +
          "', which cannot be renamed; nothing was stopped or changed",
      "restore a dump instead (restore --method dump --confirm-overwrite), or run the native "
      "restore with --platform local on the node that mounts the volume, or restic-restore the "
      "snapshot into the volume by hand (docs/native-backups.md)");
}

}  // namespace

core::Result<engine::NativeRestorePlan> PlanNativeThroughOperator(
    const engine::ClusterHandle& target, platform::OperatorRestoreStop& stop,
    const engine::NativeRestoreOptions& options) {
  HS_ASSIGN_OR_RETURN(platform::Instance primary, stop.Target());
  HS_TRY(CheckDataDirSwappable(target, primary));
  engine::NativeRestorePlan plan;
  plan.target = primary;
  HS_TRY(engine::CompleteNativeRestorePlan(target.cluster(), primary, "rebuilt", options, plan));
  return plan;
}

core::Result<NativeRestoreResult> RestoreNativeThroughOperator(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options, platform::OperatorRestoreStop& stop) {
  engine::NativeBackup* native = target.engine().native_backup();
  if (native == nullptr) {
    return engine::Unsupported(target.engine(), "native restores");
  }
  HS_ASSIGN_OR_RETURN(engine::NativeRestorePlan plan,
                      PlanNativeThroughOperator(target, stop, options));
  // The gate while every instance runs: its read of each position is what it judges, and once
  // they are stopped there is nothing left to read. A write after this read goes to the primary,
  // whose replaced data directory the swap keeps.
  const std::string name = "snapshot " + repo::IdToHex(snapshot.id).substr(0, 8);
  HS_ASSIGN_OR_RETURN(
      DiscardGateResult gate,
      GateDiscard(
          target, *native, repo,
          {.stays_stopped = plan.target,
           .recloned = plan.rebuild,
           .reaches = options.reaches.empty() ? catalog::TagFacts(snapshot.tags) : options.reaches,
           .reaches_text = options.reaches.empty() ? name : "the restore's end from " + name,
           .confirm_rewind = options.confirm_rewind,
           .unfinished = {},
           .stamp = options.heal.stamp,
           .log = options.heal.log}));
  ResumeOnExit resume(stop, options.heal.heal_timeout);
  core::Status stopped = resume.Stop();
  if (!stopped.ok()) {
    return resume.Fail(stopped.Wrap("stop the instances of '" + target.QualifiedName() + "'"));
  }
  // Every instance is down now; the engine's plan picks the first stopped one, ordinal 0, which
  // Target() made sure is the operator's primary.
  std::unique_ptr<NativeTreeSupply> supply = TreeSupplyForPlanTarget(repo);
  auto restored = RestoreNativeSnapshotGated(target, repo, snapshot, options, *supply, gate);
  if (!restored.ok()) {
    return resume.Fail(restored.TakeStatus());
  }
  HS_TRY(resume.Resume());
  return restored;
}

}  // namespace hasteward::jobs
