#include "engine/switchover_skeleton.h"

#include <functional>

#include "core/failpoint.h"
#include "engine/switchover_step_runner.h"

namespace hasteward::engine {

namespace {

// One step: skipped when the interrupted run this plan resumes completed it, else run; the
// failpoint "switchover-after-<step>" (kill -9 right after the step) is where tests interrupt.
bool Step(SwitchoverStepRunner& runner, const SwitchoverPlan& plan, SwitchoverStep step,
          const std::function<core::Result<std::string>()>& body) {
  if (step != SwitchoverStep::kPreCheck && plan.resumes_after && step <= *plan.resumes_after)
    return runner.Run(step, [] { return std::string("done by the interrupted run"); });
  bool done = runner.Run(step, body);
  if (done)
    core::Failpoint(("switchover-after-" + std::string(SwitchoverStepName(step))).c_str());
  return done;
}

}  // namespace

SwitchoverReport RunSwitchoverSteps(const SwitchoverPlan& plan, SwitchoverSteps& steps) {
  SwitchoverReport report;
  report.plan = plan;
  SwitchoverStepRunner runner(&report);
  Step(runner, plan, SwitchoverStep::kPreCheck, [&] { return steps.PreCheck(); });
  Step(runner, plan, SwitchoverStep::kFence, [&] { return steps.Fence(); });
  Step(runner, plan, SwitchoverStep::kProveFence, [&] { return steps.ProveFence(); });
  Step(runner, plan, SwitchoverStep::kCatchUp, [&] { return steps.CatchUp(); });
  // Why here and nowhere else: every abort before the promotion took effect passes this point,
  // so no engine can forget to put its old primary back, or put it back twice.
  if (runner.failed() && steps.NeedsUndo())
    runner.AppendToFailure(steps.Undo());
  if (Step(runner, plan, SwitchoverStep::kPromote, [&] { return steps.Promote(); })) {
    report.promoted_at = steps.PromotedAt();
  } else if (report.failed_step == SwitchoverStep::kPromote && steps.NeedsUndo()) {
    runner.AppendToFailure(steps.Undo());
  }
  Step(runner, plan, SwitchoverStep::kRepoint, [&] { return steps.Repoint(); });
  Step(runner, plan, SwitchoverStep::kProveWritable, [&] { return steps.ProveWritable(); });
  runner.Finish();
  return report;
}

}  // namespace hasteward::engine
