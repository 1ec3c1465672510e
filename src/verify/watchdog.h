// verify/watchdog: the --timeout of a verification. When the deadline passes it kills every
// process whose command line mentions this process's run directories, so a restore or a query
// blocked on the scratch server fails at once; the verifier then reports kTimeout.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace hasteward::verify {

class Watchdog {
 public:
  // `needle`: the command-line fragment that marks this run's processes. timeout 0 = disarmed.
  Watchdog(std::chrono::seconds timeout, std::string needle);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  bool expired() const { return expired_; }

 private:
  void Run(std::chrono::steady_clock::time_point deadline);

  std::string needle_;
  std::atomic<bool> expired_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hasteward::verify
