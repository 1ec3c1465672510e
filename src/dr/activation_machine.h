// dr/activation_machine: the pure rules of `standby activate` — the phases, the one transition a
// completed step makes, where a rerun resumes after a crash, and the gates every invocation passes
// (confirmation token, an already activated standby, an unverified backup, a source that is still
// writable). No I/O: the driver (dr/activation.h) persists the phase after each transition and
// calls the steps; tests/dr/activation_machine_test.cpp walks the tables.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "repo/format/go_json.h"

namespace hasteward::dr {

// Validating -> Restoring -> Replaying -> Provisioning -> Activated; Failed (with a reason) from
// any step. kNone: the standby was never activated.
enum class ActivationPhase {
  kNone,
  kValidating,
  kRestoring,
  kReplaying,
  kProvisioning,
  kActivated,
  kFailed,
};

const char* ActivationPhaseName(ActivationPhase phase);  // "Validating", ...; "None"
std::optional<ActivationPhase> ParseActivationPhase(std::string_view name);

// The phase a completed step of `phase` moves to: one transition per step, so the persisted
// phase always names the next step that has not provably finished. kActivated and kFailed stay.
ActivationPhase NextPhase(ActivationPhase phase);

// What the standby knows of its source's writability. The standby never calls the source, so
// this comes from the repository: a demotion marker the source's fence left there.
enum class SourceState {
  kUnknown,   // no marker: the source may be dead, cut off, or still running
  kDemoted,   // the source was fenced (read-only) by HASteward and said where its writes end
  kWritable,  // a marker (or a probe) says the source still accepts writes
  // The write probe could not tell: its credentials were refused, or the server answered with an
  // error that proves neither (engine/write_probe.h). Never read as "not writable".
  kProbeFailed,
};

// "unknown", "demoted", "writable", "probe-failed"
const char* SourceStateName(SourceState state);

// The inputs of the gates, as persisted and as discovered at this invocation.
struct ActivationGateInput {
  ActivationPhase phase = ActivationPhase::kNone;  // persisted
  std::optional<repo::GoTime> last_token;          // the last token an invocation used
  repo::GoTime token;                              // --confirm of this invocation
  bool restorable = false;                         // the Restorable condition
  bool accept_unverified = false;                  // activation.acceptUnverified
  SourceState source = SourceState::kUnknown;
  std::string source_detail;  // what the probe saw, for the refusal's message ("" = nothing)
};

// What this invocation does: refuse with a status, or run from `resume_at`.
struct ActivationDecision {
  core::Status refusal;  // ok = proceed
  ActivationPhase resume_at = ActivationPhase::kValidating;
};

// The gates, in order (each with its exit code, docs/exit-codes.md):
//   1. an Activated standby refuses (29 already-exists);
//   2. the token must be strictly greater than the last used one (26 confirmation-required);
//   3. a source that is still writable, or whose write probe could not tell, refuses (24
//      safety-stop);
//   4. a fresh start (None, Failed) needs Restorable unless acceptUnverified (24 safety-stop).
// Otherwise: None and Failed start at Validating; an interrupted phase resumes where it was.
ActivationDecision DecideActivation(const ActivationGateInput& input);

}  // namespace hasteward::dr
