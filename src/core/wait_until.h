// Polling with a deadline: the one loop behind "wait until the process is gone" and "wait until
// the port accepts". Reads time through core::Clock only.
#pragma once

#include <chrono>
#include <functional>

namespace hasteward::core {

inline constexpr std::chrono::milliseconds kDefaultPollInterval{25};

// Calls `done` until it returns true (true) or `timeout` has passed (false). `done` is called
// at least once, even with a zero timeout.
bool WaitUntil(std::chrono::milliseconds timeout, const std::function<bool()>& done,
               std::chrono::milliseconds interval = kDefaultPollInterval);

}  // namespace hasteward::core
