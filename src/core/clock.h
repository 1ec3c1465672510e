#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace hasteward::core {

// The only way code reads wall-clock or monotonic time, so tests can inject time
// (tools/check_layers.sh rejects std::chrono::system_clock::now outside core/clock*).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;
  // Process-wide instance.
  static const Clock& Get();
};

// A clock that only moves when told to. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start) : now_(start) {}
  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;
  void Advance(std::chrono::nanoseconds d);

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point now_;
  std::chrono::nanoseconds elapsed_{0};
};

}  // namespace hasteward::core
