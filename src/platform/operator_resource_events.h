// platform/operator_resource_events: notes a platform can leave on the operator's own resources
// (kubernetes: a core/v1 Event on a BackupPolicy or BackupRepository, which `kubectl describe`
// lists). An OperatorResources implementation whose platform has such notes also implements this;
// callers ask for it with dynamic_cast and do without where it is missing (local has none).
#pragma once

#include <string>

#include "core/status.h"
#include "platform/cluster_event.h"
#include "platform/operator_resources.h"

namespace hasteward::platform {

class OperatorResourceEvents {
 public:
  virtual ~OperatorResourceEvents() = default;
  OperatorResourceEvents() = default;
  OperatorResourceEvents(const OperatorResourceEvents&) = delete;
  OperatorResourceEvents& operator=(const OperatorResourceEvents&) = delete;

  // Leaves `event` on resource `name`. Errors are the platform's (not authorized, unreachable):
  // the caller may try again later. Thread-safe.
  virtual core::Status RecordEvent(OperatorResourceKind kind, const std::string& name,
                                   const ClusterEvent& event) = 0;
};

}  // namespace hasteward::platform
