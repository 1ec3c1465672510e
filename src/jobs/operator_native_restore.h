// jobs/operator_native_restore: a native restore of a cluster whose operator keeps no single
// instance down (platform/operator_restore.h: mariadb-operator's replication clusters). The
// restore cannot wait for the user to stop its target there, and a stopped instance's position
// cannot be read, so the order differs from RestoreNativeSnapshot's: the target (the operator's
// primary) and the confirmation first, then the discard gate on the running instances, and only
// then the stop of every instance; the tree is streamed into the target's volume through the pod
// that mounts it (jobs/native_tree_supply.h), swapped in, the target started as the primary and
// the others rebuilt from it, and the instances handed back to the operator. A failure after the
// stop hands them back too, or says how to (the `instance start` command).
#pragma once

#include <functional>

#include "jobs/native_backup.h"
#include "platform/operator_restore.h"

namespace hasteward::jobs {

struct DiscardGateResult;  // jobs/discard_gate.h

// RestoreNativeSnapshotWith whose discard gate the caller ran before it stopped the instances (a
// stopped MariaDB's position cannot be read, and reading it would start it): `gate` is that
// gate's result, applied as the gate's own would be. Defined in native_backup.cpp, beside
// RestoreNativeSnapshotWith.
core::Result<NativeRestoreResult> RestoreNativeSnapshotGated(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options, NativeTreeSupply& supply,
    const DiscardGateResult& gate);

// The plan such a restore would run, read-only: its target is stop.Target(), the other instances
// are rebuilt from it. kConfirmationRequired without options.confirm_overwrite. Nothing is
// stopped either way. (Where the tree is staged, beside or inside a data directory that is its
// volume's mount point, is read once the instances are stopped: engine::ChooseSwapPlace.)
core::Result<engine::NativeRestorePlan> PlanNativeThroughOperator(
    const engine::ClusterHandle& target, platform::OperatorRestoreStop& stop,
    const engine::NativeRestoreOptions& options);

// What a restore through the operator's stop does beyond the native restore's own steps.
struct OperatorRestoreSteps {
  // Where the tree comes from; null: TreeSupplyForPlanTarget (the plan target's own).
  NativeTreeSupply* supply = nullptr;
  // Set: run on the started target before the instances go back to the operator, the others
  // still stopped and the operator still told to leave the cluster alone
  // (platform::HandBack::kAtResume): a point-in-time restore's replay on its read-only target.
  std::function<core::Status(const NativeRestoreResult&)> before_hand_back;
};

// Restores native `snapshot` into the cluster through `stop` (see above). Refusals before the
// stop (the plan's kUsage and kConfirmationRequired, kNewerData from the discard gate, the
// target's kSafetyStop) stop nothing. A failure after the stop hands the instances back, except
// where that would hand over data no restore finished (the hold of kAtResume once the target's
// data was replaced, or a cluster an earlier restore left held): the cluster then stays held and
// the error says to run the restore again, or how to hand it back as it is. The caller holds the
// repository lock and loaded the index.
core::Result<NativeRestoreResult> RestoreNativeThroughOperator(
    const engine::ClusterHandle& target, repo::Repository& repo, const repo::Snapshot& snapshot,
    const engine::NativeRestoreOptions& options, platform::OperatorRestoreStop& stop,
    const OperatorRestoreSteps& steps = {});

}  // namespace hasteward::jobs
