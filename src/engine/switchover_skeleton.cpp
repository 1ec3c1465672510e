#include "engine/switchover_skeleton.h"

#include "engine/switchover_step_runner.h"

namespace hasteward::engine {

SwitchoverReport RunSwitchoverSteps(const SwitchoverPlan& plan, SwitchoverSteps& steps) {
  SwitchoverReport report;
  report.plan = plan;
  SwitchoverStepRunner runner(&report);
  runner.Run(SwitchoverStep::kPreCheck, [&] { return steps.PreCheck(); });
  runner.Run(SwitchoverStep::kFence, [&] { return steps.Fence(); });
  runner.Run(SwitchoverStep::kProveFence, [&] { return steps.ProveFence(); });
  runner.Run(SwitchoverStep::kCatchUp, [&] { return steps.CatchUp(); });
  // Why here and nowhere else: every abort before the promotion took effect passes this point,
  // so no engine can forget to put its old primary back, or put it back twice.
  if (runner.failed() && steps.NeedsUndo())
    runner.AppendToFailure(steps.Undo());
  if (runner.Run(SwitchoverStep::kPromote, [&] { return steps.Promote(); }))
    report.promoted_at = steps.PromotedAt();
  else if (report.failed_step == SwitchoverStep::kPromote && steps.NeedsUndo())
    runner.AppendToFailure(steps.Undo());
  runner.Run(SwitchoverStep::kRepoint, [&] { return steps.Repoint(); });
  runner.Run(SwitchoverStep::kProveWritable, [&] { return steps.ProveWritable(); });
  runner.Finish();
  return report;
}

}  // namespace hasteward::engine
