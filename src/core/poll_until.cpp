#include "core/poll_until.h"

namespace hasteward::core {

bool PollUntil(const std::function<bool()>& condition, std::chrono::milliseconds bound,
               std::chrono::milliseconds interval, const Clock& clock) {
  const auto deadline = clock.Monotonic() + bound;
  while (true) {
    if (condition()) {
      return true;
    }
    if (clock.Monotonic() >= deadline) {
      return false;
    }
    clock.SleepFor(interval);
  }
}

}  // namespace hasteward::core
