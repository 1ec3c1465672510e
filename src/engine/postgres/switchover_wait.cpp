#include "engine/postgres/switchover_wait.h"

#include "core/poll_until.h"
#include "core/stop_signal.h"

namespace hasteward::engine::postgres {

core::Status WaitUntil(const std::string& what, std::chrono::milliseconds timeout,
                       const std::function<core::Result<bool>()>& probe) {
  core::Status stopped;
  std::string last;
  bool reached = core::PollUntil(
      [&] {
        stopped = core::StopStatus();
        if (!stopped.ok())
          return true;
        auto ready = probe();
        if (!ready.ok())
          last = ready.status().message();
        return ready.ok() && *ready;
      },
      timeout, std::chrono::milliseconds(50));
  HS_TRY(stopped);
  if (reached)
    return core::Status::Ok();
  return core::Status(core::ErrorCode::kTimeout,
                      "timed out after " + std::to_string(timeout.count()) + " ms waiting for " +
                          what + (last.empty() ? "" : " (last error: " + last + ")"),
                      "raise --timeout, or check the instance's log");
}

}  // namespace hasteward::engine::postgres
