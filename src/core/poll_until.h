// Polling with a bound: the one loop behind "wait until the process is gone", "wait until the port
// accepts" and every test that waits for a condition. Reads time through core::Clock only.
#pragma once

#include <chrono>
#include <functional>

#include "core/clock.h"

namespace hasteward::core {

inline constexpr std::chrono::milliseconds kDefaultPollInterval{25};

// Calls `condition` every `interval` until it returns true (true) or `bound` has passed on `clock`
// (false). `condition` is called at least once, even with a zero bound, and once more at the bound.
bool PollUntil(const std::function<bool()>& condition, std::chrono::milliseconds bound,
               std::chrono::milliseconds interval = kDefaultPollInterval,
               const Clock& clock = SystemClock::Get());

}  // namespace hasteward::core
