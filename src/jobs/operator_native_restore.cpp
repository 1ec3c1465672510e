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

  core::Status Stop(platform::HandBack hand_back) {
    armed_ = true;
    holding_ = hand_back == platform::HandBack::kAtResume || stop_.FoundHeld();
    return stop_.StopAll(timeout_, hand_back);
  }
  // The target's data was replaced: from now on a held cluster is never handed back on a
  // failure (the operator would open whatever the restore left half-way for writes).
  void Replaced() { replaced_ = true; }
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
  // `failed` after the stop: resumed, and the failure says so or how to resume. A held cluster
  // whose target holds a restore's unfinished output stays held, and the failure says so.
  core::Status Fail(core::Status failed) {
    if (holding_ && (replaced_ || stop_.FoundHeld())) {
      armed_ = false;
      return failed.WithHint(
          failed.hint() +
          "; the cluster stays suspended and held by the restore, so that its operator does not "
          "open a half-restored primary for writes: run the same restore again to finish it, or "
          "'" +
          stop_.ResumeCommand() + "' to hand it back as it is");
    }
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
  bool holding_ = false;
  bool replaced_ = false;
};

// The caller's supply, telling `resume` when the swap begins (the data directory is replaced from
// there on).
class SwapWatch : public NativeTreeSupply {
 public:
  SwapWatch(NativeTreeSupply& inner, ResumeOnExit& resume) : inner_(inner), resume_(resume) {}
  core::Status Stage(const engine::ClusterHandle& target, engine::NativeBackup& native,
                     const repo::Snapshot& snapshot, NativeRestoreResult& result) override {
    return inner_.Stage(target, native, snapshot, result);
  }
  core::Status BeforeFinish(engine::NativeRestorePlan& plan) override {
    HS_TRY(inner_.BeforeFinish(plan));
    resume_.Replaced();
    return core::Status::Ok();
  }
  void Abandon(const engine::NativeRestorePlan& plan) override { inner_.Abandon(plan); }

 private:
  NativeTreeSupply& inner_;
  ResumeOnExit& resume_;
};

}  // namespace

core::Result<engine::NativeRestorePlan> PlanNativeThroughOperator(
    const engine::ClusterHandle& target, platform::OperatorRestoreStop& stop,
    const engine::NativeRestoreOptions& options) {
  HS_ASSIGN_OR_RETURN(platform::Instance primary, stop.Target());
  engine::NativeRestorePlan plan;
  plan.target = primary;
  HS_TRY(engine::CompleteNativeRestorePlan(target.cluster(), primary, "rebuilt", options, plan));
  return plan;
}

core::Result<NativeRestoreResult> RestoreNativeThroughOperator(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options, platform::OperatorRestoreStop& stop,
    const OperatorRestoreSteps& steps) {
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
  // A step before the hand-back needs its target started with the operator still kept away.
  core::Status stopped = resume.Stop(steps.before_hand_back ? platform::HandBack::kAtResume
                                                            : platform::HandBack::kWithTheTarget);
  if (!stopped.ok()) {
    return resume.Fail(stopped.Wrap("stop the instances of '" + target.QualifiedName() + "'"));
  }
  // Every instance is down now; the engine's plan picks the first stopped one, ordinal 0, which
  // Target() made sure is the operator's primary.
  std::unique_ptr<NativeTreeSupply> own;
  if (steps.supply == nullptr) {
    own = TreeSupplyForPlanTarget(repo);
  }
  SwapWatch supply(steps.supply != nullptr ? *steps.supply : *own, resume);
  auto restored = RestoreNativeSnapshotGated(target, repo, snapshot, options, supply, gate);
  if (!restored.ok()) {
    return resume.Fail(restored.TakeStatus());
  }
  if (steps.before_hand_back) {
    core::Status done = steps.before_hand_back(*restored);
    if (!done.ok()) {
      return resume.Fail(std::move(done));
    }
  }
  HS_TRY(resume.Resume());
  return restored;
}

}  // namespace hasteward::jobs
