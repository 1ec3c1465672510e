#include "operator/runtime/scaled_clock.h"

namespace hasteward::op {

ScaledClock::ScaledClock(std::chrono::system_clock::time_point start,
                         double real_seconds_per_minute)
    : start_(start),
      mono_start_(core::SystemClock::Get().Monotonic()),
      factor_(60.0 / real_seconds_per_minute) {}

std::chrono::system_clock::time_point ScaledClock::Now() const {
  auto real = core::SystemClock::Get().Monotonic() - mono_start_;
  auto scaled = std::chrono::duration_cast<std::chrono::system_clock::duration>(real * factor_);
  return start_ + scaled;
}

std::chrono::steady_clock::time_point ScaledClock::Monotonic() const {
  return core::SystemClock::Get().Monotonic();
}

}  // namespace hasteward::op
