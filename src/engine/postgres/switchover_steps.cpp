#include "engine/postgres/switchover_steps.h"

#include "core/stop_signal.h"

namespace hasteward::engine::postgres {

core::Status WaitUntil(const std::string& what, std::chrono::milliseconds timeout,
                       const std::function<core::Result<bool>()>& probe) {
  const core::Clock& clock = core::SystemClock::Get();
  auto deadline = clock.Monotonic() + timeout;
  std::string last;
  while (true) {
    HS_TRY(core::StopStatus());
    auto ready = probe();
    if (ready.ok() && *ready)
      return core::Status::Ok();
    if (!ready.ok())
      last = ready.status().message();
    if (clock.Monotonic() >= deadline) {
      return core::Status(core::ErrorCode::kTimeout,
                          "timed out after " + std::to_string(timeout.count()) +
                              " ms waiting for " + what +
                              (last.empty() ? "" : " (last error: " + last + ")"),
                          "raise --timeout, or check the instance's log");
    }
    clock.SleepFor(std::chrono::milliseconds(50));
  }
}

bool StepLog::Run(SwitchoverStep step, const std::function<core::Result<std::string>()>& body) {
  auto begin = clock_.Monotonic();
  auto detail = body();
  if (!detail.ok()) {
    core::Status failed = detail.TakeStatus();
    failed.Wrap(SwitchoverStepName(step));
    report_->failed_step = step;
    report_->status = std::move(failed);
    return false;
  }
  report_->steps.push_back(
      {step, std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Monotonic() - begin),
       std::move(detail).value()});
  return true;
}

void StepLog::Finish() {
  report_->total =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Monotonic() - start_);
}

}  // namespace hasteward::engine::postgres
