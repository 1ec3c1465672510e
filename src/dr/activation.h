// dr/activation: `standby activate` — runs the persisted state machine of dr/activation_machine.h
// over steps (ActivationSteps; dr/standby_activation.cpp binds them to pitr::Archive). After each
// completed step the record moves one phase and is written atomically before the next step
// starts, so a crash (kill -9) leaves the phase of the step that was running, and a rerun runs
// that step again: every step is idempotent.
#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "dr/activation_machine.h"
#include "dr/activation_record.h"

namespace hasteward::dr {

// What the gates need from outside, read at every invocation.
struct GateFacts {
  bool restorable = false;  // the Restorable condition from a discovery now
  SourceState source = SourceState::kUnknown;
  std::string source_detail;  // what the probe saw ("" = not probed)
};

// The work of each phase. Each may run again after a crash part-way: it must be idempotent and
// record what it learned in `audit` (saved with the phase that follows it).
class ActivationSteps {
 public:
  virtual ~ActivationSteps() = default;
  virtual core::Result<GateFacts> ReadGates() = 0;
  // Chooses the base backup and the point replay must reach; checks the target cluster.
  virtual core::Status Validate(ActivationAudit& audit) = 0;
  // Restores the chosen base into the target cluster, set to replay up to the chosen point.
  virtual core::Status Restore(ActivationAudit& audit) = 0;
  // Proves replay reached the chosen point and records where it stopped and how much it replayed.
  virtual core::Status Replay(ActivationAudit& audit) = 0;
  // Brings the target cluster to its template (instances, writable primary).
  virtual core::Status Provision(ActivationAudit& audit) = 0;
};

struct ActivateOptions {
  std::string record_file;  // dr/activation_record.h: ActivationRecordFile(state file)
  std::string name;         // the standby
  repo::GoTime token;       // --confirm
  bool accept_unverified = false;
  const core::Clock* clock = &core::SystemClock::Get();
  // Called with each phase as it starts (after it was persisted): the log line tests kill at.
  std::function<void(ActivationPhase)> on_phase;
};

// Loads the record, decides (DecideActivation: a refusal changes nothing, not even the token),
// records the token, and runs the steps from the decided phase until Activated. A failed step
// persists Failed with the phase and its error and returns that error. Errors: the refusal, a
// step's error, the record cannot be read (kCorruption) or written.
core::Result<ActivationRecord> ActivateStandby(ActivationSteps& steps,
                                               const ActivateOptions& options);

}  // namespace hasteward::dr
