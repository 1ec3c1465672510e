#include "verify/watchdog.h"

#include <csignal>

#include "core/clock.h"
#include "core/log.h"
#include "core/process_info.h"

namespace hasteward::verify {

Watchdog::Watchdog(std::chrono::seconds timeout, std::string needle) : needle_(std::move(needle)) {
  if (timeout.count() <= 0)
    return;
  auto deadline = core::SystemClock::Get().Monotonic() + timeout;
  thread_ = std::thread([this, deadline] { Run(deadline); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void Watchdog::Run(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> l(mu_);
  if (cv_.wait_until(l, deadline, [this] { return stop_; }))
    return;
  expired_ = true;
  core::LogWarn("verification timed out, killing the scratch instance");
  for (pid_t pid : core::ProcessesMentioning(needle_))
    ::kill(pid, SIGKILL);
}

}  // namespace hasteward::verify
