// The one bounded wait of the engines and platforms (heals, restores, switchovers, pods): calls
// `probe` every `interval` until it returns true, on PollUntil. kTimeout names `what` and the last
// probe error once `timeout` has passed; a stop signal (SIGINT/SIGTERM) ends the wait with its
// status at once.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/status.h"

namespace hasteward::core {

struct WaitOptions {
  // Short for a switchover (every wait is write downtime), longer for a heal (a server starting).
  std::chrono::milliseconds interval{500};
  // The timeout error's hint: which flag raises the bound.
  std::string hint = "raise --heal-timeout, or check the instance's log";
  // A probe error ends the wait with that error (a pod the API server says is gone will not come
  // back by waiting); otherwise the wait goes on and the timeout quotes the last error.
  bool stop_on_probe_error = false;
};

Status WaitFor(const std::string& what, std::chrono::milliseconds timeout,
               const std::function<Result<bool>()>& probe, const WaitOptions& options = {});

// The switchover's options: 50 ms polls, and the hint names --timeout.
WaitOptions SwitchoverWait();

}  // namespace hasteward::core
