#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "core/clock.h"
#include "storage/backend.h"

namespace hasteward::storage {

struct RetryOptions {
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
  double multiplier = 2.0;
  double jitter = 0.5;  // each delay is scaled by a factor in [1-j, 1+j]
  std::chrono::milliseconds max_total{
      120000};  // a call gives up when the next wait would pass this
  int max_attempts = 15;
  uint32_t seed = 0;  // jitter RNG seed; 0 = random
  // How to wait (tests inject a recorder); default sleeps the calling thread.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Retries calls that failed with a retryable error (status.retryable(): timeouts, resets, 5xx,
// SlowDown) with exponential backoff and jitter, waiting at least the server's Retry-After.
// Permanent errors (kNotFound, 403, ENOSPC/507, usage) are returned at once. A call's total time
// is bounded by max_total and max_attempts; the final error says how many attempts were made.
// List collects the complete listing before calling fn, so a retried listing never reports an
// entry twice. Thread-safe if the inner backend is.
class RetryBackend : public Backend {
 public:
  RetryBackend(std::unique_ptr<Backend> inner, RetryOptions options,
               const core::Clock& clock = core::SystemClock::Get());

  std::string Location() const override { return inner_->Location(); }
  core::Status Create() override;
  core::Status Save(const Handle& h, core::ByteView data) override;
  core::Status Load(const Handle& h, uint64_t offset, uint64_t length, core::Bytes* out) override;
  core::Result<FileInfo> Stat(const Handle& h) override;
  core::Status List(FileType t, const std::function<core::Status(const FileInfo&)>& fn) override;
  core::Status Remove(const Handle& h) override;
  int Connections() const override { return inner_->Connections(); }
  bool ListSeesCompletedWrites() const override { return inner_->ListSeesCompletedWrites(); }
  ObjectLock* ObjectLocking() override { return inner_->ObjectLocking(); }
  // The inner backend's counts plus `retries` (attempts after the first).
  RequestCounts Counts() const override;

 private:
  // Runs op until it succeeds, fails permanently or the budget is spent.
  core::Status Run(const std::string& what, const std::function<core::Status()>& op);
  std::chrono::milliseconds Backoff(int attempt);

  std::unique_ptr<Backend> inner_;
  RetryOptions options_;
  const core::Clock& clock_;
  std::mutex rng_mu_;
  std::mt19937 rng_;
  std::atomic<uint64_t> retries_{0};
};

}  // namespace hasteward::storage
