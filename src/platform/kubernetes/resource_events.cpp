#include "platform/kubernetes/resource_events.h"

#include "core/utc_time.h"

namespace hasteward::platform::kubernetes {

namespace {
constexpr char kComponent[] = "hasteward";
constexpr char kApiVersion[] = "clinic.hasteward.prplanit.com/v1alpha1";
}  // namespace

nlohmann::json OperatorResourceEventObject(const OperatorResourceRef& resource,
                                           const ClusterEvent& event,
                                           const std::string& reporting_instance,
                                           int64_t unix_seconds) {
  nlohmann::json involved = {{"apiVersion", kApiVersion},
                             {"kind", OperatorResourceKindName(resource.kind)},
                             {"name", resource.name}};
  if (!resource.uid.empty())
    involved["uid"] = resource.uid;
  const std::string when = core::Rfc3339Utc(unix_seconds);
  // generateName: the API server appends a random suffix, so events never collide by name.
  return nlohmann::json{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata",
       {{"generateName", resource.name + "."}, {"namespace", kClusterScopedEventNamespace}}},
      {"involvedObject", involved},
      {"type", event.type == ClusterEventType::kWarning ? "Warning" : "Normal"},
      {"reason", event.reason},
      {"message", event.message},
      {"count", 1},
      {"firstTimestamp", when},
      {"lastTimestamp", when},
      {"source", {{"component", kComponent}}},
      {"reportingComponent", kComponent},
      {"reportingInstance", reporting_instance}};
}

}  // namespace hasteward::platform::kubernetes
