// Events on HASteward's own resources: a core/v1 Event whose involvedObject is a (cluster-scoped)
// BackupPolicy or BackupRepository, so `kubectl describe backuppolicy NAME` shows why the operator
// does not use it.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "platform/cluster_event.h"
#include "platform/operator_resources.h"

namespace hasteward::platform::kubernetes {

// Where the Events of cluster-scoped objects live (as client-go's recorder puts them).
inline constexpr char kClusterScopedEventNamespace[] = "default";

struct OperatorResourceRef {
  OperatorResourceKind kind = OperatorResourceKind::kBackupPolicy;
  std::string name;
  std::string uid;  // metadata.uid when known: kubectl describe selects Events by it
};

// The Event to create in kClusterScopedEventNamespace. `reporting_instance`: the operator pod
// ($POD_NAME), may be empty.
nlohmann::json OperatorResourceEventObject(const OperatorResourceRef& resource,
                                           const ClusterEvent& event,
                                           const std::string& reporting_instance,
                                           int64_t unix_seconds);

}  // namespace hasteward::platform::kubernetes
