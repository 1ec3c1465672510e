#include "platform/kubernetes/cluster_events.h"

#include "platform/kubernetes/event_object.h"
#include "platform/kubernetes/operator_discovery.h"

namespace hasteward::platform::kubernetes {

namespace {

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
  auto uid = cluster.options.find(kUidOption);
  return KubeEventObject({.api_version = kind.api_version,
                          .kind = kind.kind,
                          .name = cluster.name,
                          .ns = cluster.ns,
                          .uid = uid == cluster.options.end() ? "" : uid->second},
                         cluster.ns, event, reporting_instance, unix_seconds);
}

}  // namespace hasteward::platform::kubernetes
