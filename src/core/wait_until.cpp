#include "core/wait_until.h"

#include <thread>

#include "core/clock.h"

namespace hasteward::core {

bool WaitUntil(std::chrono::milliseconds timeout, const std::function<bool()>& done,
               std::chrono::milliseconds interval) {
  const auto& clock = SystemClock::Get();
  auto deadline = clock.Monotonic() + timeout;
  while (true) {
    if (done()) {
      return true;
    }
    if (clock.Monotonic() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace hasteward::core
