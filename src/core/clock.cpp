#include "core/clock.h"

#include <thread>

namespace hasteward::core {

void Clock::SleepFor(std::chrono::nanoseconds duration) const {
  std::this_thread::sleep_for(duration);
}

int64_t Clock::NowUnixSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
}

std::chrono::system_clock::time_point SystemClock::Now() const {
  return std::chrono::system_clock::now();
}

std::chrono::steady_clock::time_point SystemClock::Monotonic() const {
  return std::chrono::steady_clock::now();
}

const Clock& SystemClock::Get() {
  static const SystemClock kClock;
  return kClock;
}

std::chrono::system_clock::time_point ManualClock::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

std::chrono::steady_clock::time_point ManualClock::Monotonic() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(elapsed_));
}

void ManualClock::SleepFor(std::chrono::nanoseconds duration) const {
  Advance(duration);
  // Let other threads run, as a real sleep would; a polling loop must not starve them.
  std::this_thread::yield();
}

void ManualClock::Advance(std::chrono::nanoseconds duration) const {
  std::lock_guard<std::mutex> lock(mu_);
  now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(duration);
  elapsed_ += duration;
}

double SecondsSince(const Clock& clock, std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(clock.Monotonic() - start).count();
}

}  // namespace hasteward::core
