// A switchover where an operator owns the instances' lifecycle (platform/operator_switchover.h):
// the operator changes the primary, HASteward asks for it and proves the outcome through the
// instances themselves. HASteward's own fence cannot stand in for the operator's (the operator
// restarts what it stops and owns the files a restart-proof fence writes), but the engine's part
// before the request (engine::OperatorHandover) closes what the operator's order leaves open.
// What it does not take on trust, it checks while waiting and after (docs/switchover.md, "On
// Kubernetes"):
//   pre-check       the engine's pre-check (the candidate is a healthy replica of the single
//                   writable primary), and the operator reports that same primary, no switch
//                   pending;
//   fence           the engine's fence of the old primary, proven (MariaDB: read_only, bypass
//                   privileges taken from all but the operator's account, a refused probe write,
//                   a still position; PostgreSQL: the operator's clean shutdown is the fence);
//   catch-up        the candidate has applied exactly the fenced primary's final position;
//   promote         the request to the operator, then polling until it reports the candidate as
//                   its primary and a poll read every instance's writability (only such polls
//                   count in the proof); every poll also reads each instance: two writable
//                   instances seen by a reading and by the one right after it
//                   (TwoWritableJudge) are fenced (all but the candidate: FenceAllButOne) and
//                   abort at once with split-brain (exit 5);
//   repoint         (two writable instances: as above) triage healthy: the candidate the one
//                   writable instance, the old primary replicating from it;
//   prove-writable  a write on the candidate is accepted (and rolled back).
// An abort before the request lifts the fence (the old primary takes writes again).
#pragma once

#include "engine/cluster_handle.h"
#include "engine/switchover.h"
#include "platform/operator_switchover.h"

namespace hasteward::jobs {

// The operator's steps in plan.steps (a dry run prints them), for `plan` made by the engine's
// PlanSwitchover.
void DescribeOperatorSwitchover(const engine::OperatorHandover& handover,
                                const platform::OperatorSwitchover& via,
                                engine::SwitchoverPlan* plan);

// Runs `plan` through `handover` and `via` and proves it. Each wait is bounded by
// options.timeout.
engine::SwitchoverReport RunOperatorSwitchover(const engine::ClusterHandle& target,
                                               engine::OperatorHandover& handover,
                                               platform::OperatorSwitchover& via,
                                               const engine::SwitchoverPlan& plan,
                                               const engine::SwitchoverOptions& options);

}  // namespace hasteward::jobs
