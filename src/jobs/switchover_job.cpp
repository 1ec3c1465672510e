#include "jobs/switchover_job.h"

#include "core/clock.h"
#include "jobs/operator_switchover.h"
#include "platform/operator_switchover.h"

namespace hasteward::jobs {

namespace {

using engine::SwitchoverStep;

std::chrono::milliseconds Since(const core::Clock& clock,
                                std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Monotonic() - start);
}

// The step after the last completed one (the last step itself when every step completed).
SwitchoverStep NextStep(const std::vector<engine::SwitchoverStepTiming>& completed) {
  if (completed.empty())
    return SwitchoverStep::kPreCheck;
  SwitchoverStep last = completed.back().step;
  if (last == SwitchoverStep::kProveWritable)
    return last;
  return static_cast<SwitchoverStep>(static_cast<int>(last) + 1);
}

}  // namespace

const char* SwitchoverKindName(SwitchoverKind kind) {
  return kind == SwitchoverKind::kFailover ? "failover" : "switchover";
}

core::ErrorCode SwitchoverFailureCode(SwitchoverStep step, const core::Status& status) {
  using core::ErrorCode;
  ErrorCode code = status.code();
  switch (step) {
    case SwitchoverStep::kPreCheck:
      // Nothing changed yet: a missing or unreachable instance keeps its own code so the user
      // fixes the name or the network; every other refusal is the safety gate.
      if (code == ErrorCode::kNotFound || code == ErrorCode::kUnreachable ||
          code == ErrorCode::kAuthFailed || code == ErrorCode::kUsage) {
        return code;
      }
      return ErrorCode::kSafetyStop;
    case SwitchoverStep::kFence:
    case SwitchoverStep::kProveFence:
      // Aborted before anything was promoted, and the fence lifted: the same safety class as a
      // refused pre-check (the JSON failed_step tells them apart).
      return ErrorCode::kSafetyStop;
    case SwitchoverStep::kCatchUp:
      return code == ErrorCode::kUnreachable ? code : ErrorCode::kTimeout;
    case SwitchoverStep::kPromote:
    case SwitchoverStep::kRepoint:
    case SwitchoverStep::kProveWritable:
      // Two writable instances seen while an operator switched over keep their own code: the
      // user must stop writes before anything else.
      if (code == ErrorCode::kSplitBrain) {
        return code;
      }
      // The candidate may already accept writes: the cluster works but is not whole (a replica
      // not repointed), as triage's degraded; the user must look before anything else, so this
      // class never shares a code with a clean abort.
      return ErrorCode::kHealthDegraded;
  }
  return ErrorCode::kInternal;
}

core::Status ClassifySwitchoverFailure(SwitchoverKind kind, SwitchoverStep step,
                                       const core::Status& status) {
  return core::Status(SwitchoverFailureCode(step, status),
                      std::string(SwitchoverKindName(kind)) + " aborted at step '" +
                          engine::SwitchoverStepName(step) + "': " + status.message(),
                      status.hint());
}

SwitchoverJobResult RunSwitchoverJob(const engine::ClusterHandle& target,
                                     const SwitchoverJobOptions& options) {
  const core::Clock& clock = core::SystemClock::Get();
  auto start = clock.Monotonic();
  SwitchoverJobResult result;
  result.kind = options.kind;
  result.dry_run = options.dry_run;
  engine::Switchover* capability = target.engine().switchover();
  if (capability == nullptr) {
    result.report.status = engine::Unsupported(target.engine(), SwitchoverKindName(options.kind));
    return result;
  }
  bool failover = options.kind == SwitchoverKind::kFailover;
  auto plan =
      failover
          ? capability->PlanFailover(target.platform(), target.cluster(), options.engine_options)
          : capability->PlanSwitchover(target.platform(), target.cluster(), options.engine_options);
  // Where an operator owns the instances, the switchover is its own (operator_switchover.h); the
  // platform answers this once. Failover keeps HASteward's own steps everywhere.
  std::unique_ptr<platform::OperatorSwitchover> via;
  if (plan.ok() && !failover) {
    auto opened = target.platform().OpenOperatorSwitchover(target.cluster());
    if (opened.ok()) {
      via = std::move(*opened);
    } else {
      plan = opened.TakeStatus();
    }
  }
  if (!plan.ok()) {
    result.report.failed_step = SwitchoverStep::kPreCheck;
    result.report.status =
        ClassifySwitchoverFailure(options.kind, SwitchoverStep::kPreCheck, plan.status());
    result.report.total = Since(clock, start);
    return result;
  }
  std::unique_ptr<engine::OperatorHandover> handover;
  if (via) {
    handover = capability->PrepareOperatorHandover(target.platform(), target.cluster(), *plan,
                                                   options.engine_options, via->DatabaseAccount());
    DescribeOperatorSwitchover(*handover, *via, &*plan);
  }
  if (options.dry_run) {
    result.report.plan = std::move(*plan);
    result.report.total = Since(clock, start);
    return result;
  }
  if (via) {
    result.report = RunOperatorSwitchover(target, *handover, *via, *plan, options.engine_options);
  } else {
    result.report = failover ? capability->RunFailover(target.platform(), target.cluster(), *plan,
                                                       options.engine_options)
                             : capability->RunSwitchover(target.platform(), target.cluster(), *plan,
                                                         options.engine_options);
  }
  if (!result.report.status.ok()) {
    // An engine that forgot to name the step still aborts with a step: the first one not
    // completed.
    SwitchoverStep failed = result.report.failed_step.value_or(NextStep(result.report.steps));
    result.report.failed_step = failed;
    result.report.status = ClassifySwitchoverFailure(options.kind, failed, result.report.status);
  }
  result.report.total = Since(clock, start);
  return result;
}

}  // namespace hasteward::jobs
