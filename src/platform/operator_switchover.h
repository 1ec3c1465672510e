// platform/operator_switchover: the change of primary that the operator owning a cluster performs
// itself, where one does (kubernetes: CloudNativePG's status.targetPrimary, what `kubectl cnpg
// promote` writes; mariadb-operator's spec.replication.primary.podIndex). Where an operator owns
// the instances' lifecycle (Capability::kOperatorOwnsLifecycle), HASteward's own fence cannot
// last (the operator restarts what it stops and rewrites what it configures), so the switchover
// job asks the operator for the new primary and proves the result itself through the instances
// (jobs/operator_switchover.h). The platform only asks and reads; it never judges the databases.
#pragma once

#include <string>

#include "core/status.h"
#include "platform/cluster.h"

namespace hasteward::platform {

// What the operator says about its primary: the instance it runs as primary now and the one it
// was asked for (equal when no switchover is pending). Instance names, "" when not set.
struct OperatorPrimary {
  std::string current;
  std::string target;
  bool settled() const { return !current.empty() && current == target; }
};

// The operator's switchover of one cluster. Implementations are bound to the cluster they were
// opened for (Platform::OpenOperatorSwitchover).
class OperatorSwitchover {
 public:
  virtual ~OperatorSwitchover() = default;
  OperatorSwitchover() = default;
  OperatorSwitchover(const OperatorSwitchover&) = delete;
  OperatorSwitchover& operator=(const OperatorSwitchover&) = delete;

  // Where the request goes, for plans and messages ("CloudNativePG status.targetPrimary").
  virtual std::string Describe() const = 0;
  // The database account the operator runs its switchover with ("" where it uses none HASteward
  // could take a privilege from): the engine's fence before the request leaves it its privileges,
  // since the operator needs them for the handover (mariadb-operator: 'root', which sets
  // read_only, a READ ONLY ADMIN privilege).
  virtual std::string DatabaseAccount() const = 0;
  // Reads the operator's view of its primary now.
  virtual core::Result<OperatorPrimary> Primary() = 0;
  // Asks the operator to make `candidate` the primary; returns once the request is stored (the
  // operator acts on it afterwards). kSafetyStop when another switchover is pending.
  virtual core::Status RequestPrimary(const Instance& candidate) = 0;
};

}  // namespace hasteward::platform
