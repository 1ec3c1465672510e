#include "platform/kubernetes/cluster_events.h"

#include "core/utc_time.h"
#include "platform/kubernetes/operator_discovery.h"

namespace hasteward::platform::kubernetes {

namespace {

constexpr char kComponent[] = "hasteward";

struct InvolvedKind {
  const char* api_version;
  const char* kind;
};

core::Result<InvolvedKind> KindOf(const Cluster& cluster) {
  auto owner = cluster.options.find(kOperatorOption);
  if (owner != cluster.options.end() && owner->second == "cloudnative-pg")
    return InvolvedKind{"postgresql.cnpg.io/v1", "Cluster"};
  if (owner != cluster.options.end() && owner->second == "mariadb-operator")
    return InvolvedKind{"k8s.mariadb.com/v1alpha1", "MariaDB"};
  return core::Usage("cluster '" + cluster.ns + "/" + cluster.name +
                     "' was not discovered from an operator's resource; no Event to attach");
}

}  // namespace

core::Result<nlohmann::json> EventObject(const Cluster& cluster, const ClusterEvent& event,
                                         const std::string& reporting_instance,
                                         int64_t unix_seconds) {
  HS_ASSIGN_OR_RETURN(InvolvedKind kind, KindOf(cluster));
  nlohmann::json involved = {{"apiVersion", kind.api_version},
                             {"kind", kind.kind},
                             {"name", cluster.name},
                             {"namespace", cluster.ns}};
  auto uid = cluster.options.find(kUidOption);
  if (uid != cluster.options.end() && !uid->second.empty())
    involved["uid"] = uid->second;
  const std::string when = core::Rfc3339Utc(unix_seconds);
  // generateName: the API server appends a random suffix, so events never collide by name.
  return nlohmann::json{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"generateName", cluster.name + "."}, {"namespace", cluster.ns}}},
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
