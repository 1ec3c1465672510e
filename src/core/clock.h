#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace hasteward::core {

// The only way code reads wall-clock or monotonic time, so tests can inject time (lock staleness,
// snapshot times, schedules). tools/check_layers.sh rejects every other clock read in src/.
// Code that takes no clock from its caller uses SystemClock::Get(); code whose behaviour depends
// on time (deadlines, stamps written into the repository) takes a `const Clock&` or a Clock* in its
// options so tests can pass a ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
  // Waits `duration` of this clock's time: a real sleep by default; a ManualClock advances
  // itself instead, so a test of a wait-with-deadline loop finishes at once.
  virtual void SleepFor(std::chrono::nanoseconds duration) const;
  // Whole seconds since the Unix epoch of Now().
  int64_t NowUnixSeconds() const;
};

class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;
  // Process-wide instance.
  static const Clock& Get();
};

// A clock that only moves when told to (Advance, or SleepFor of code under test). Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start) : now_(start) {}
  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;
  void SleepFor(std::chrono::nanoseconds duration) const override;
  void Advance(std::chrono::nanoseconds duration) const;

 private:
  mutable std::mutex mu_;
  mutable std::chrono::system_clock::time_point now_;
  mutable std::chrono::nanoseconds elapsed_{0};
};

// Seconds from `start` to now on `clock`'s monotonic time (for durations in logs and results).
double SecondsSince(const Clock& clock, std::chrono::steady_clock::time_point start);

}  // namespace hasteward::core
