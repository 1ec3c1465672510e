#include "platform/kubernetes/resource_events.h"

#include "platform/kubernetes/event_object.h"

namespace hasteward::platform::kubernetes {

namespace {
constexpr char kApiVersion[] = "clinic.hasteward.prplanit.com/v1alpha1";
}  // namespace

nlohmann::json OperatorResourceEventObject(const OperatorResourceRef& resource,
                                           const ClusterEvent& event,
                                           const std::string& reporting_instance,
                                           int64_t unix_seconds) {
  return KubeEventObject({.api_version = kApiVersion,
                          .kind = OperatorResourceKindName(resource.kind),
                          .name = resource.name,
                          .ns = "",
                          .uid = resource.uid},
                         kClusterScopedEventNamespace, event, reporting_instance, unix_seconds);
}

}  // namespace hasteward::platform::kubernetes
