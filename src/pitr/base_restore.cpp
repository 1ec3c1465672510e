#include "pitr/base_restore.h"

#include <memory>
#include <string>
#include <utility>

#include "jobs/native_backup.h"
#include "jobs/native_tree_supply.h"
#include "jobs/operator_native_restore.h"
#include "platform/operator_restore.h"

namespace hasteward::pitr {

namespace {

// The plan target's tree supply (jobs/native_tree_supply.h) with the caller's check before the
// swap (BaseRestore::before_swap); a refusal there removes the staged tree like the gate's.
class CheckedSwap : public jobs::NativeTreeSupply {
 public:
  CheckedSwap(std::unique_ptr<jobs::NativeTreeSupply> inner,
              std::function<core::Status(const platform::Instance&)> check)
      : inner_(std::move(inner)), check_(std::move(check)) {}

  core::Status Stage(const engine::ClusterHandle& target, engine::NativeBackup& native,
                     const repo::Snapshot& snapshot, jobs::NativeRestoreResult& result) override {
    return inner_->Stage(target, native, snapshot, result);
  }
  core::Status BeforeFinish(engine::NativeRestorePlan& plan) override {
    if (check_) {
      core::Status checked = check_(plan.target);
      if (!checked.ok()) {
        inner_->Abandon(plan);
        return checked;
      }
    }
    return inner_->BeforeFinish(plan);
  }
  void Abandon(const engine::NativeRestorePlan& plan) override { inner_->Abandon(plan); }

 private:
  std::unique_ptr<jobs::NativeTreeSupply> inner_;
  std::function<core::Status(const platform::Instance&)> check_;
};

core::Result<RestoredBase> RestoreToLocalDisk(const engine::ClusterHandle& target,
                                              repo::Repository& repo, const repo::Snapshot& base,
                                              const BaseRestore& how) {
  CheckedSwap supply(jobs::TreeSupplyForPlanTarget(repo), how.before_swap);
  auto to_point = [&how](const jobs::NativeRestoreResult& restored) {
    return how.to_point ? how.to_point(restored.plan.target) : core::Status::Ok();
  };
  // Where the operator keeps no single instance down, the restore stops them all itself, and the
  // point is reached before the operator gets them back (it would open the target for writes).
  HS_ASSIGN_OR_RETURN(auto stop,
                      platform::OpenOperatorRestoreStop(target.platform(), target.cluster()));
  jobs::NativeRestoreResult restored;
  if (stop != nullptr) {
    HS_ASSIGN_OR_RETURN(restored, jobs::RestoreNativeThroughOperator(
                                      target, repo, base, how.native, *stop,
                                      {.supply = &supply, .before_hand_back = to_point}));
  } else {
    HS_ASSIGN_OR_RETURN(restored,
                        jobs::RestoreNativeSnapshotWith(target, repo, base, how.native, supply));
    HS_TRY(to_point(restored));
  }
  RestoredBase out;
  out.instance = restored.plan.target;
  out.bytes = restored.bytes;
  if (restored.plan.rebuild_deferred)
    out.rebuild_deferred = restored.plan.rebuild;
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
