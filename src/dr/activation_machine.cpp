#include "dr/activation_machine.h"

#include <array>
#include <utility>

namespace hasteward::dr {

namespace {

// The one name table of the phases; the persisted record and the output use these names.
constexpr std::array<std::pair<ActivationPhase, const char*>, 7> kPhaseNames = {{
    {ActivationPhase::kNone, "None"},
    {ActivationPhase::kValidating, "Validating"},
    {ActivationPhase::kRestoring, "Restoring"},
    {ActivationPhase::kReplaying, "Replaying"},
    {ActivationPhase::kProvisioning, "Provisioning"},
    {ActivationPhase::kActivated, "Activated"},
    {ActivationPhase::kFailed, "Failed"},
}};

bool TokenAfter(const repo::GoTime& token, const repo::GoTime& last) {
  return last < token;
}

}  // namespace

const char* ActivationPhaseName(ActivationPhase phase) {
  for (const auto& [value, name] : kPhaseNames) {
    if (value == phase) {
      return name;
    }
  }
  return "None";
}

std::optional<ActivationPhase> ParseActivationPhase(std::string_view name) {
  for (const auto& [value, phase_name] : kPhaseNames) {
    if (name == phase_name) {
      return value;
    }
  }
  return std::nullopt;
}

const char* SourceStateName(SourceState state) {
  switch (state) {
    case SourceState::kDemoted: return "demoted";
    case SourceState::kWritable: return "writable";
    case SourceState::kProbeFailed: return "probe-failed";
    case SourceState::kUnknown: break;
  }
  return "unknown";
}

ActivationPhase NextPhase(ActivationPhase phase) {
  switch (phase) {
    case ActivationPhase::kNone: return ActivationPhase::kValidating;
    case ActivationPhase::kValidating: return ActivationPhase::kRestoring;
    case ActivationPhase::kRestoring: return ActivationPhase::kReplaying;
    case ActivationPhase::kReplaying: return ActivationPhase::kProvisioning;
    case ActivationPhase::kProvisioning: return ActivationPhase::kActivated;
    case ActivationPhase::kActivated:
    case ActivationPhase::kFailed: break;
  }
  return phase;
}

ActivationDecision DecideActivation(const ActivationGateInput& input) {
  ActivationDecision decision;
  // Activated is terminal: a second activation would restore over a cluster that already took
  // writes as the new primary. Failing back is a standby declared the other way, never a rerun.
  if (input.phase == ActivationPhase::kActivated) {
    decision.refusal = core::Status(
        core::ErrorCode::kAlreadyExists, "the standby is already activated",
        "'hasteward standby status' shows its audit record; to fail back, declare a standby of "
        "the new primary at the old site and activate that one");
    return decision;
  }
  // Strictly greater, also for a rerun after a crash: a command line replayed from shell history
  // or a retried job hours later must never activate by itself; every run is a fresh decision.
  if (input.last_token && !TokenAfter(input.token, *input.last_token)) {
    decision.refusal =
        core::Status(core::ErrorCode::kConfirmationRequired,
                     "--confirm '" + input.token.Format() + "' is not after the last used token '" +
                         input.last_token->Format() + "'",
                     "pass the current time, e.g. --confirm \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"");
    return decision;
  }
  // Two writable clusters is the failure that loses data for good (CloudNativePG #9273): checked
  // at every invocation, also when resuming, because the source may have come back meanwhile.
  std::string seen = input.source_detail.empty() ? "" : ": " + input.source_detail;
  if (input.source == SourceState::kWritable) {
    decision.refusal = core::Status(
        core::ErrorCode::kSafetyStop, "the source cluster is still writable" + seen,
        "stop it or make it read-only first; activate only once one cluster is writable");
    return decision;
  }
  // A probe that could not log in (or got an answer proving neither) knows nothing: activating
  // on that guess could make a second writable cluster.
  if (input.source == SourceState::kProbeFailed) {
    decision.refusal = core::Status(
        core::ErrorCode::kSafetyStop,
        "the write probe cannot tell whether the source cluster is writable" + seen,
        "fix source.probeCredentials (an ordinary account of the source that may log in from "
        "here), or remove them to judge by a TCP answer alone");
    return decision;
  }
  bool fresh_start =
      input.phase == ActivationPhase::kNone || input.phase == ActivationPhase::kFailed;
  // An unverified backup may not restore at all; finding that out during a disaster is what the
  // standby exists to prevent. Checked when starting: a resumed run already chose its backup.
  if (fresh_start && !input.restorable && !input.accept_unverified) {
    decision.refusal = core::Status(core::ErrorCode::kSafetyStop, "the standby is not Restorable",
                                    "run 'hasteward standby verify NAME' (it restores the "
                                    "source's newest backup at this site), or set "
                                    "activation.acceptUnverified: true in the declaration");
    return decision;
  }
  // Failed restarts from Validating: its plan may be what failed, and the gates must hold again.
  decision.resume_at = fresh_start ? ActivationPhase::kValidating : input.phase;
  return decision;
}

}  // namespace hasteward::dr
