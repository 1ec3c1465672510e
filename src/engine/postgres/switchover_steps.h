// The bookkeeping of a PostgreSQL switchover or failover run: each step is timed and recorded in
// the report, the first failure names its step, and every wait is bounded.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "engine/switchover.h"

namespace hasteward::engine::postgres {

// Calls `probe` every 50 ms until it returns true; kTimeout naming `what` (and the last probe
// error) once `timeout` has passed. Short polls: every wait of a switchover is write downtime.
core::Status WaitUntil(const std::string& what, std::chrono::milliseconds timeout,
                       const std::function<core::Result<bool>()>& probe);

// Runs the steps of one run into `report`. Not thread-safe.
class StepLog {
 public:
  explicit StepLog(SwitchoverReport* report, const core::Clock& clock = core::SystemClock::Get())
      : report_(report), clock_(clock), start_(clock.Monotonic()) {}

  // Runs `body` as `step`: on success appends its timing and the detail it returned; on failure
  // sets the report's failed_step and status (with the step's name in front) and returns false.
  bool Run(SwitchoverStep step, const std::function<core::Result<std::string>()>& body);
  // Sets the report's total time; call once at the end.
  void Finish();

 private:
  SwitchoverReport* report_;
  const core::Clock& clock_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace hasteward::engine::postgres
