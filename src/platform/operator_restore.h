// platform/operator_restore: how a native restore keeps the instances of a cluster down while it
// replaces their data, where the operator that owns them would otherwise restart them and offers
// no way to stop one server alone. mariadb-operator is such an operator: its server is the pod's
// main process, so a server stays down only while its pod is gone, and its StatefulSet removes
// pods from the highest ordinal down, so the primary (ordinal 0) stops only with every other pod.
// The restore then suspends the resource (marked as HASteward's), scales every pod away, writes
// the data through a pod that mounts the target's volume claim, and hands the pods back. Where
// one instance can be stopped and kept down alone (CloudNativePG's fencing, local hosts) there is
// none: the user stops the target (`instance stop`) and the restore writes it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/status.h"
#include "platform/cluster.h"

namespace hasteward::platform {

class Platform;

// How the instances come back to the operator once a restore starts its target.
enum class HandBack {
  // With the target: its start brings every instance back and the operator takes over at once (a
  // plain restore: the restored target is the primary from its first moment).
  kWithTheTarget,
  // At Resume only: the target's start brings it back alone, and the operator is still told to
  // leave the cluster alone until Resume. For a restore whose target must stay read-only after its
  // start (a binlog replay): mariadb-operator sets read_only = 0 on its primary as soon as it
  // reconciles one with no connected replica (pkg/controller/replication/config.go,
  // ConfigurePrimary; the role is Primary only with connected replicas,
  // internal/controller/mariadb_controller_status.go), which would open a half-replayed primary.
  // A kill leaves the cluster held so; the restore's rerun finishes it.
  kAtResume,
};

// The operator's stop of one cluster for a native restore (bound to the cluster it was opened
// for). Not thread-safe.
class OperatorRestoreStop {
 public:
  virtual ~OperatorRestoreStop() = default;
  OperatorRestoreStop() = default;
  OperatorRestoreStop(const OperatorRestoreStop&) = delete;
  OperatorRestoreStop& operator=(const OperatorRestoreStop&) = delete;

  // The instance the restore writes and starts as the primary (the others are rebuilt from it):
  // the operator's primary. kSafetyStop when that cannot be the one StopAll leaves writable.
  virtual core::Result<Instance> Target() = 0;
  // Stops every instance and keeps it stopped (the operator told to leave them alone), then waits
  // within `timeout` until none runs. Their data stays reachable through InstanceHandle::Exec.
  // `hand_back` says when the instances go back to the operator (above).
  virtual core::Status StopAll(std::chrono::milliseconds timeout, HandBack hand_back) = 0;
  // Whether an earlier restore left the cluster held (HandBack::kAtResume, then killed or failed
  // after its swap): its target then holds that restore's unfinished output, which must not be
  // handed to the operator before a restore finishes it. Read when the stop was opened.
  virtual bool FoundHeld() const = 0;
  // Hands the instances back to the operator as StopAll found them, and waits within `timeout`
  // until the target's server runs. Ok at once when StopAll changed nothing or this already ran.
  virtual core::Status Resume(std::chrono::milliseconds timeout) = 0;
  // The command that does what Resume does, for the hint of a failed Resume.
  virtual std::string ResumeCommand() const = 0;
};

// The stop `cluster` needs on `platform`, or nullptr where the user stops the target instance
// (every platform and operator but mariadb-operator's replication clusters).
core::Result<std::unique_ptr<OperatorRestoreStop>> OpenOperatorRestoreStop(Platform& platform,
                                                                           const Cluster& cluster);

}  // namespace hasteward::platform
