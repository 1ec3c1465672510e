// The bounded wait of a PostgreSQL switchover or failover step (the steps themselves run in the
// engine's one skeleton, engine/switchover_skeleton.h).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/status.h"

namespace hasteward::engine::postgres {

// Calls `probe` every 50 ms until it returns true; kTimeout naming `what` (and the last probe
// error) once `timeout` has passed. Short polls: every wait of a switchover is write downtime.
core::Status WaitUntil(const std::string& what, std::chrono::milliseconds timeout,
                       const std::function<core::Result<bool>()>& probe);

}  // namespace hasteward::engine::postgres
