// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics: a 15 s lease,
// renewals every 2 s (retry period) that must succeed within a 10 s renew deadline, and a release
// that writes an empty holder with a 1 s lease. A candidate trusts its own clock, not the lease's
// timestamps: a lease is held while the record it observed last changed less than
// leaseDurationSeconds ago (by the local monotonic clock), so skewed clocks cannot steal it.
// Writes carry the observed resourceVersion, so two candidates never both win one round.
// A leader that misses its renew deadline stops acting before (10 s < 15 s) anyone else can take
// over; the lease alone is not a fence.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "platform/kubernetes/kube_client.h"

namespace hasteward::platform::kubernetes {

struct LeaseSettings {
  std::string ns;
  std::string name;
  std::string identity;  // unique per candidate (pod name + random suffix)
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

class LeaseLock {
 public:
  LeaseLock(const KubeClient& client, LeaseSettings settings, const core::Clock& clock)
      : client_(client), settings_(std::move(settings)), clock_(clock) {}

  // One round of client-go's tryAcquireOrRenew: true when this candidate holds the lease now.
  core::Result<bool> TryAcquireOrRenew();
  // Gives the lease up (holder "", 1 s) when this candidate holds it.
  core::Status Release();
  bool IsLeader() const;
  const std::string& observed_holder() const { return observed_holder_; }
  const LeaseSettings& settings() const { return settings_; }
  const core::Clock& clock() const { return clock_; }

 private:
  nlohmann::json Spec(const std::string& holder, std::chrono::seconds duration,
                      const std::string& acquire_time, int transitions) const;

  const KubeClient& client_;
  LeaseSettings settings_;
  const core::Clock& clock_;
  std::string observed_holder_;
  std::string observed_raw_;  // the last spec seen, to notice changes
  std::chrono::steady_clock::time_point observed_at_;
  std::chrono::seconds observed_duration_{0};
  nlohmann::json observed_;  // the whole object (resourceVersion for the next write)
};

// Runs the election until `stop`: acquires (retrying every retry period), calls `on_started`,
// renews every retry period, and when a renewal has not succeeded within the renew deadline calls
// `on_stopped` and returns kSafetyStop ("leadership lost"). With `stop` set it releases the lease,
// calls `on_stopped` if it led, and returns Ok.
core::Status RunLeaderElection(LeaseLock& lock, const std::function<void()>& on_started,
                               const std::function<void()>& on_stopped,
                               const std::atomic<bool>& stop);

}  // namespace hasteward::platform::kubernetes
