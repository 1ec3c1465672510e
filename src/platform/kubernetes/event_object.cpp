#include "platform/kubernetes/event_object.h"

#include "core/utc_time.h"

namespace hasteward::platform::kubernetes {

namespace {
constexpr char kComponent[] = "hasteward";
}  // namespace

nlohmann::json KubeEventObject(const InvolvedObject& object, const std::string& event_namespace,
                               const ClusterEvent& event, const std::string& reporting_instance,
                               int64_t unix_seconds) {
  nlohmann::json involved = {
      {"apiVersion", object.api_version}, {"kind", object.kind}, {"name", object.name}};
  if (!object.ns.empty())
    involved["namespace"] = object.ns;
  if (!object.uid.empty())
    involved["uid"] = object.uid;
  const std::string when = core::Rfc3339Utc(unix_seconds);
  // generateName: the API server appends a random suffix, so events never collide by name.
  return nlohmann::json{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"generateName", object.name + "."}, {"namespace", event_namespace}}},
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
