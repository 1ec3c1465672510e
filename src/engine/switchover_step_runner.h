// Runs the steps of a switchover one after another into a SwitchoverReport: each completed step
// with its elapsed time and detail, the first failure with its step and status, and the total.
// Engine-neutral, so every engine reports steps the same way.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/clock.h"
#include "engine/switchover.h"

namespace hasteward::engine {

class SwitchoverStepRunner {
 public:
  // `report` must outlive the runner; its plan is kept, its steps and status are filled in.
  explicit SwitchoverStepRunner(SwitchoverReport* report,
                                const core::Clock& clock = core::SystemClock::Get());

  // Runs `body` as `step` unless an earlier step failed. `body` returns the step's detail line,
  // or the error that aborts the run (recorded with `step` as failed_step). Returns whether the
  // step completed.
  bool Run(SwitchoverStep step, const std::function<core::Result<std::string>()>& body);

  bool failed() const { return report_->failed_step.has_value(); }
  // Adds to the failure's message (e.g. what the undo did); no-op when nothing failed.
  void AppendToFailure(const std::string& text);
  // Sets report.total. Call once at the end.
  void Finish();

 private:
  SwitchoverReport* report_;
  const core::Clock& clock_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace hasteward::engine
