#include "dr/activation.h"

#include <cctype>
#include <string>

#include "core/failpoint.h"
#include "core/log.h"

namespace hasteward::dr {

namespace {

core::Status RunStep(ActivationSteps& steps, ActivationPhase phase, ActivationAudit& audit) {
  switch (phase) {
    case ActivationPhase::kValidating: return steps.Validate(audit);
    case ActivationPhase::kRestoring: return steps.Restore(audit);
    case ActivationPhase::kReplaying: return steps.Replay(audit);
    case ActivationPhase::kProvisioning: return steps.Provision(audit);
    case ActivationPhase::kNone:
    case ActivationPhase::kActivated:
    case ActivationPhase::kFailed: break;
  }
  return core::Internal(std::string("activation has no step for phase ") +
                        ActivationPhaseName(phase));
}

// Moves to `phase` and makes it durable before anything of that phase runs: the file always
// names the step that has not provably finished.
core::Status Enter(ActivationRecord& record, ActivationPhase phase,
                   const ActivateOptions& options) {
  record.phase = phase;
  record.transitions.push_back({phase, options.clock->NowUnixSeconds()});
  HS_TRY(SaveActivationRecord(options.record_file, record));
  core::LogInfo(std::string("standby activation: phase ") + ActivationPhaseName(phase),
                {{"standby", options.name}});
  if (options.on_phase) {
    options.on_phase(phase);
  }
  // HASTEWARD_FAILPOINT=activation-<phase> (e.g. activation-replaying): a kill -9 right after the
  // phase is durable and before its step runs, at a known phase even when the step is too quick
  // for a test to kill it from outside.
  std::string failpoint = "activation-";
  for (const char* c = ActivationPhaseName(phase); *c != '\0'; ++c) {
    failpoint += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
  }
  core::Failpoint(failpoint.c_str());
  return core::Status::Ok();
}

}  // namespace

core::Result<ActivationRecord> ActivateStandby(ActivationSteps& steps,
                                               const ActivateOptions& options) {
  HS_ASSIGN_OR_RETURN(ActivationRecord record, LoadActivationRecord(options.record_file));
  HS_ASSIGN_OR_RETURN(GateFacts facts, steps.ReadGates());
  ActivationDecision decision = DecideActivation({.phase = record.phase,
                                                  .last_token = record.last_token,
                                                  .token = options.token,
                                                  .restorable = facts.restorable,
                                                  .accept_unverified = options.accept_unverified,
                                                  .source = facts.source,
                                                  .source_detail = facts.source_detail});
  if (!decision.refusal.ok()) {
    return decision.refusal;
  }
  record.name = options.name;
  record.last_token = options.token;
  if (decision.resume_at == ActivationPhase::kValidating) {
    // A fresh start (or a restart after Failed): a new audit, so it never mixes two attempts.
    record.audit = ActivationAudit{};
    record.audit.started_at = options.clock->NowUnixSeconds();
    record.transitions.clear();
    record.failure.clear();
    record.failed_phase = ActivationPhase::kNone;
    // Restoring replaces it with what replay proved (dr/replay_end.h); a resume keeps that.
    record.audit.source_end = facts.source;
  }
  HS_TRY(Enter(record, decision.resume_at, options));
  while (record.phase != ActivationPhase::kActivated) {
    core::Status step = RunStep(steps, record.phase, record.audit);
    if (!step.ok()) {
      record.failed_phase = record.phase;
      record.failure = step.ToString();
      HS_TRY(Enter(record, ActivationPhase::kFailed, options));
      return step;
    }
    ActivationPhase next = NextPhase(record.phase);
    if (next == ActivationPhase::kActivated) {
      record.audit.activated_at = options.clock->NowUnixSeconds();
    }
    HS_TRY(Enter(record, next, options));
  }
  return record;
}

}  // namespace hasteward::dr
