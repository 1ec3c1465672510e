// The one switchover skeleton, for the switchover and the failover of every engine:
//
//   PreCheck -> Fence -> ProveFence -> CatchUp -> Promote -> Repoint -> ProveWritable
//
// each step timed into the report by one SwitchoverStepRunner, the first failure ending the run.
// An abort before the promotion took effect runs the engine's Undo here, once, for every engine
// and kind; from the promotion on the run only goes forward (a promotion that reported failure
// may still complete, and reopening the old primary then would make two writable instances).
// Engines supply the steps (SwitchoverSteps); a failover is the same skeleton with its own
// pre-checks and, having nothing to put back, an Undo that does nothing.
#pragma once

#include <string>

#include "core/status.h"
#include "engine/switchover.h"

namespace hasteward::engine {

class SwitchoverSteps {
 public:
  virtual ~SwitchoverSteps() = default;

  // Each returns its detail line for the report, or the error that aborts the run.
  virtual core::Result<std::string> PreCheck() = 0;
  virtual core::Result<std::string> Fence() = 0;
  virtual core::Result<std::string> ProveFence() = 0;
  virtual core::Result<std::string> CatchUp() = 0;
  virtual core::Result<std::string> Promote() = 0;
  virtual core::Result<std::string> Repoint() = 0;
  virtual core::Result<std::string> ProveWritable() = 0;

  // Whether an abort now must be undone: the old primary was fenced (or its fence began) and the
  // promotion has not taken effect.
  virtual bool NeedsUndo() const = 0;
  // Puts the old primary back as the one writable instance; returns what it did (or could not),
  // appended to the failure's message ("; the old primary 'db-0' takes writes again").
  virtual std::string Undo() = 0;
  // The candidate's position at its promotion (the report's promoted_at), once promoted.
  virtual std::string PromotedAt() const = 0;
};

// Runs `steps` for `plan`; the report carries the plan, every completed step, the first failure
// (with what the undo did) and the total time.
SwitchoverReport RunSwitchoverSteps(const SwitchoverPlan& plan, SwitchoverSteps& steps);

}  // namespace hasteward::engine
