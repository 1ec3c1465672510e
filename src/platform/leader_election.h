// Leader election among the replicas of the operator (`hasteward serve`), so that of two or more
// replicas exactly one runs scheduled jobs. Platforms that run one operator per host (local) need
// none; the kubernetes platform elects on a coordination.k8s.io/v1 Lease with client-go's timing.
// The lease alone is not a fence: Leading() also checks the age of the last successful renewal,
// so a replica that was frozen or cut off from the API past its renew deadline stops acting
// before (renew deadline < lease duration) another replica can take over.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace hasteward::platform {

struct LeaderElectionSettings {
  std::string lease_name = "hasteward-leader";
  std::string ns;        // "" = the platform's own namespace (the pod's, else the kubeconfig's)
  std::string identity;  // "" = the pod (host) name with a random suffix
  // client-go's defaults; tests shorten them (renew deadline < lease, retry < renew deadline).
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};

  // kUsage unless 0 < retry period < renew deadline < lease duration.
  core::Status Validate() const;
};

class LeaderElection {
 public:
  virtual ~LeaderElection() = default;

  // Starts campaigning on a thread the object owns (stopped by Stop() or the destructor).
  virtual void Start() = 0;
  // True while this replica leads: it holds the lease and its last successful renewal is younger
  // than the renew deadline (read from the monotonic clock at each call). Thread-safe.
  virtual bool Leading() const = 0;
  // True once leadership that was held is lost (renewals failed past the deadline, or another
  // holder was seen): the caller must stop acting; this object never leads again. Thread-safe.
  virtual bool Lost() const = 0;
  // Stops campaigning and gives the lease up when this replica holds it. Idempotent.
  virtual core::Status Stop() = 0;
  virtual const std::string& identity() const = 0;
};

}  // namespace hasteward::platform
