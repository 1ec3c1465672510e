// Small helpers shared by the heal flows: a shell snippet run where an instance lives (as its OS
// user, arguments as $1.., secrets only on stdin), and a poll loop with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine {

// Runs `sh -c script repair args...` via Platform::Exec; `input` (if any) is written to stdin.
// Returns stdout; a non-zero exit is kInternal naming `what` and the stderr tail.
core::Result<std::string> RunScript(platform::Platform& platform, const platform::Cluster& cluster,
                                    const platform::Instance& instance, const std::string& what,
                                    const std::string& script, const std::vector<std::string>& args,
                                    const std::optional<std::string>& input = std::nullopt);

// Calls `probe` every 500 ms until it returns true; kTimeout naming `what` (with the last probe
// error, if any) once `timeout` has passed.
core::Status PollUntil(const std::string& what, std::chrono::milliseconds timeout,
                       const std::function<core::Result<bool>()>& probe);

}  // namespace hasteward::engine
