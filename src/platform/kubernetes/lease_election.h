// platform::LeaderElection on a coordination.k8s.io/v1 Lease (lease_lock.h): a thread runs
// client-go's loop (try to acquire every retry period; once leading, renew every retry period;
// a renewal that has not succeeded within the renew deadline, or another holder, ends leadership
// for good) and records the monotonic time of each successful renewal for Leading().
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/lease_lock.h"
#include "platform/leader_election.h"

namespace hasteward::platform::kubernetes {

class LeaseElection : public LeaderElection {
 public:
  // `settings` carry namespace and identity already resolved. Each request to the API is bounded
  // by the renew deadline (a copy of `client` with that request timeout).
  LeaseElection(const std::shared_ptr<const KubeClient>& client, LeaseSettings settings,
                const core::Clock& clock);
  ~LeaseElection() override;
  LeaseElection(const LeaseElection&) = delete;
  LeaseElection& operator=(const LeaseElection&) = delete;

  void Start() override;
  bool Leading() const override;
  bool Lost() const override { return lost_; }
  core::Status Stop() override;
  const std::string& identity() const override { return settings_.identity; }

 private:
  void Campaign();
  // One round; returns false when leadership was lost (the loop ends).
  bool Round();
  void SleepRetryPeriod();

  std::shared_ptr<const KubeClient> client_;
  LeaseSettings settings_;
  const core::Clock& clock_;
  LeaseLock lock_;  // used only by the campaign thread (and by Stop after joining it)
  std::atomic<bool> stop_{false};
  std::atomic<bool> leading_{false};
  std::atomic<bool> lost_{false};
  std::atomic<int64_t> last_renew_ns_{0};  // monotonic time of the last successful renewal
  std::thread thread_;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

// The election settings filled in for the kubernetes platform: namespace from `settings`, else
// $POD_NAMESPACE, else `fallback_ns`; identity from `settings`, else $POD_NAME (else the host
// name) with a random suffix, so a restarted pod is a new candidate.
LeaseSettings ResolveLeaseSettings(const LeaderElectionSettings& settings, const EnvLookup& env,
                                   const std::string& fallback_ns);

}  // namespace hasteward::platform::kubernetes
