#include "core/wait_for.h"

#include "core/poll_until.h"
#include "core/stop_signal.h"

namespace hasteward::core {

Status WaitFor(const std::string& what, std::chrono::milliseconds timeout,
               const std::function<Result<bool>()>& probe, const WaitOptions& options) {
  Status stopped;
  std::string last;
  bool reached = PollUntil(
      [&] {
        stopped = StopStatus();
        if (!stopped.ok())
          return true;
        auto ready = probe();
        if (!ready.ok() && options.stop_on_probe_error) {
          stopped = ready.TakeStatus();
          return true;
        }
        if (!ready.ok())
          last = ready.status().message();
        return ready.ok() && *ready;
      },
      timeout, options.interval);
  HS_TRY(stopped);
  if (reached)
    return Status::Ok();
  return Status(ErrorCode::kTimeout,
                "timed out after " + std::to_string(timeout.count()) + " ms waiting for " + what +
                    (last.empty() ? "" : " (last error: " + last + ")"),
                options.hint);
}

WaitOptions SwitchoverWait() {
  return {.interval = std::chrono::milliseconds(50),
          .hint = "raise --timeout, or check the instance's log"};
}

}  // namespace hasteward::core
