// The one shape of the core/v1 Events HASteward leaves (on a database CR, cluster_events.h; on a
// BackupPolicy or BackupRepository, resource_events.h): what differs is only the object the
// Event is about and the namespace it lives in.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "platform/cluster_event.h"

namespace hasteward::platform::kubernetes {

// The Event's involvedObject: `ns` empty for a cluster-scoped object; `uid` when known
// (kubectl describe selects Events by it).
struct InvolvedObject {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string ns;
  std::string uid;
};

// The Event to create in namespace `event_namespace`, named after the object plus a suffix the
// API server appends (generateName). `reporting_instance`: the operator pod ($POD_NAME), may be
// empty. Pure.
nlohmann::json KubeEventObject(const InvolvedObject& object, const std::string& event_namespace,
                               const ClusterEvent& event, const std::string& reporting_instance,
                               int64_t unix_seconds);

}  // namespace hasteward::platform::kubernetes
