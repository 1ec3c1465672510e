#include "engine/switchover_step_runner.h"

namespace hasteward::engine {

namespace {

std::chrono::milliseconds Elapsed(const core::Clock& clock,
                                  std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Monotonic() - since);
}

}  // namespace

SwitchoverStepRunner::SwitchoverStepRunner(SwitchoverReport* report, const core::Clock& clock)
    : report_(report), clock_(clock), start_(clock.Monotonic()) {}

bool SwitchoverStepRunner::Run(SwitchoverStep step,
                               const std::function<core::Result<std::string>()>& body) {
  if (failed())
    return false;
  auto step_start = clock_.Monotonic();
  core::Result<std::string> detail = body();
  if (!detail.ok()) {
    report_->failed_step = step;
    report_->status = detail.TakeStatus();
    return false;
  }
  report_->steps.push_back({step, Elapsed(clock_, step_start), std::move(*detail)});
  return true;
}

void SwitchoverStepRunner::AppendToFailure(const std::string& text) {
  if (!failed() || report_->status.ok())
    return;
  report_->status = core::Status(report_->status.code(), report_->status.message() + text,
                                 report_->status.hint());
}

void SwitchoverStepRunner::Finish() {
  report_->total = Elapsed(clock_, start_);
}

}  // namespace hasteward::engine
