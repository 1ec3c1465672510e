// operator/runtime/scaled_clock: the scheduler's clock for tests and demos (`serve --tick-seconds
// N`): one scheduler minute passes every N real seconds, starting from `start` (a restart resumes
// from the time the state file recorded, so the schedule continues instead of jumping back).
#pragma once

#include "core/clock.h"

namespace hasteward::op {

class ScaledClock : public core::Clock {
 public:
  ScaledClock(std::chrono::system_clock::time_point start, double real_seconds_per_minute);
  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;

 private:
  std::chrono::system_clock::time_point start_;
  std::chrono::steady_clock::time_point mono_start_;
  double factor_;
};

}  // namespace hasteward::op
