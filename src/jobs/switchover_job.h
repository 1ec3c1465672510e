// Switchover and failover as jobs: plan with the cluster's engine (engine/switchover.h), print
// the plan and stop there on a dry run, else run it; whatever the engine, an abort carries the
// failed step and the exit code of its failure class (docs/exit-codes.md), so scripts and the
// operator read one contract for PostgreSQL and MariaDB alike.
#pragma once

#include <functional>
#include <string>

#include "engine/cluster_handle.h"
#include "engine/switchover.h"

namespace hasteward::jobs {

enum class SwitchoverKind {
  kSwitchover,  // planned: the primary answers and is fenced before the candidate is promoted
  kFailover,    // the primary is down: the most advanced replica is promoted
};

// "switchover" / "failover".
const char* SwitchoverKindName(SwitchoverKind kind);

struct SwitchoverJobOptions {
  SwitchoverKind kind = SwitchoverKind::kSwitchover;
  engine::SwitchoverOptions engine_options;
  bool dry_run = false;  // plan only: nothing on any instance changes
};

// The outcome: the engine's report (plan, completed steps with their times, the failed step) and
// whether it was a dry run. report.status is ok, or the abort with its failure class's code.
struct SwitchoverJobResult {
  SwitchoverKind kind = SwitchoverKind::kSwitchover;
  bool dry_run = false;
  engine::SwitchoverReport report;
};

// Plans and (unless a dry run) runs a switchover or failover. Never throws; a planning refusal is
// a report whose failed_step is kPreCheck. kUsage (no step) when the engine has no switchover.
SwitchoverJobResult RunSwitchoverJob(const engine::ClusterHandle& target,
                                     const SwitchoverJobOptions& options);

// The exit code of an abort at `step` whose engine status is `status` (pure; docs/exit-codes.md):
// pre-check keeps not-found / unreachable / auth-failed / usage and is a safety-stop otherwise;
// fence and prove-fence are a safety-stop too (aborted, the fence lifted); catch-up is a timeout
// unless the candidate was unreachable; promote, repoint and prove-writable are degraded (the
// candidate may be the primary already).
core::ErrorCode SwitchoverFailureCode(engine::SwitchoverStep step, const core::Status& status);

// `status` with the failure class's code and a message that starts with the failed step:
// "switchover aborted at step 'catch-up': <message>".
core::Status ClassifySwitchoverFailure(SwitchoverKind kind, engine::SwitchoverStep step,
                                       const core::Status& status);

}  // namespace hasteward::jobs
