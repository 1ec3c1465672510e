#include "platform/kubernetes/kubernetes_platform.h"

#include "core/clock.h"
#include "platform/kubernetes/cluster_change_watch.h"
#include "platform/kubernetes/cluster_events.h"
#include "platform/kubernetes/kube_operator_resources.h"
#include "platform/kubernetes/lease_election.h"
#include "platform/kubernetes/mariadb_restore_stop.h"
#include "platform/kubernetes/mariadb_scaling.h"
#include "platform/kubernetes/operator_discovery.h"
#include "platform/kubernetes/operator_primary.h"
#include "platform/kubernetes/pod_instance.h"

namespace hasteward::platform::kubernetes {

core::Result<std::unique_ptr<KubernetesPlatform>> KubernetesPlatform::Open(const EnvLookup& env) {
  auto config = LoadDefaultConfig(env);
  if (!config.ok()) {
    return config.TakeStatus().Wrap("kubernetes platform");
  }
  HS_ASSIGN_OR_RETURN(KubeConnectMode mode, ResolveKubeConnectMode(env, *config));
  return std::make_unique<KubernetesPlatform>(std::move(config).value(), env, mode);
}

KubernetesPlatform::KubernetesPlatform(KubeConfig config, EnvLookup env)
    : KubernetesPlatform(std::move(config), std::move(env), KubeConnectMode::kApiServer) {
  if (client_->config().in_cluster) {
    route_ = MakeInstanceRoute(KubeConnectMode::kPodNetwork, client_);
  }
}

KubernetesPlatform::KubernetesPlatform(KubeConfig config, EnvLookup env, KubeConnectMode mode)
    : client_(std::make_shared<const KubeClient>(std::move(config))),
      env_(std::move(env)),
      listing_ns_(client_->config().ns),
      route_(MakeInstanceRoute(mode, client_)) {}

core::Result<std::vector<Cluster>> KubernetesPlatform::ClustersIn(const std::string& ns) {
  std::vector<Cluster> out;
  // Each CR's pods are listed in the CR's own namespace: `ns` may be every namespace.
  auto own_namespace = [](const nlohmann::json& cr) {
    return cr.value("/metadata/namespace"_json_pointer, std::string());
  };
  // An operator that is not installed serves no resource of its kind (the list answers 404): it
  // has no clusters, and must not hide the other operator's (a user with CloudNativePG alone).
  auto installed = [&](const KubeResource& kind) -> core::Result<nlohmann::json> {
    auto listed = client_->List(kind, ns);
    if (!listed.ok() && listed.status().code() == core::ErrorCode::kNotFound) {
      return nlohmann::json{{"items", nlohmann::json::array()}};
    }
    return listed;
  };
  HS_ASSIGN_OR_RETURN(auto cnpg, installed(resources::kCnpgClusters));
  for (const auto& cr : cnpg.value("items", nlohmann::json::array())) {
    const std::string name = cr.value("/metadata/name"_json_pointer, std::string());
    HS_ASSIGN_OR_RETURN(
        auto pods, client_->List(resources::kPods, own_namespace(cr), {CnpgPodSelector(name), ""}));
    HS_ASSIGN_OR_RETURN(auto c, ClusterFromCnpg(client_, cr, pods));
    HS_TRY(route_->Apply(&c));
    out.push_back(std::move(c));
  }
  HS_ASSIGN_OR_RETURN(auto mariadbs, installed(resources::kMariaDbs));
  for (const auto& cr : mariadbs.value("items", nlohmann::json::array())) {
    const std::string name = cr.value("/metadata/name"_json_pointer, std::string());
    HS_ASSIGN_OR_RETURN(auto pods, client_->List(resources::kPods, own_namespace(cr),
                                                 {MariaDbPodSelector(name), ""}));
    HS_ASSIGN_OR_RETURN(auto c, ClusterFromMariaDb(client_, cr, pods));
    HS_TRY(route_->Apply(&c));
    out.push_back(std::move(c));
  }
  return out;
}

core::Result<std::vector<Cluster>> KubernetesPlatform::ListClusters() {
  return ClustersIn(listing_ns_);
}

core::Result<std::unique_ptr<ClusterChangeFeed>> KubernetesPlatform::WatchClusters() {
  return std::unique_ptr<ClusterChangeFeed>(std::make_unique<ClusterChangeWatch>(
      client_, listing_ns_,
      std::vector<KubeResource>{resources::kCnpgClusters, resources::kMariaDbs}));
}

core::Status KubernetesPlatform::RecordEvent(const Cluster& cluster, const ClusterEvent& event) {
  HS_ASSIGN_OR_RETURN(auto object, EventObject(cluster, event, env_("POD_NAME").value_or(""),
                                               core::SystemClock::Get().NowUnixSeconds()));
  auto created = client_->Create(resources::kEvents, cluster.ns, object);
  return created.ok() ? core::Status::Ok() : created.TakeStatus().Wrap("record event");
}

core::Result<Cluster> KubernetesPlatform::FindCluster(const std::string& ns,
                                                      const std::string& name) {
  auto cnpg = client_->Get(resources::kCnpgClusters, ns, name);
  if (cnpg.ok()) {
    HS_ASSIGN_OR_RETURN(auto pods,
                        client_->List(resources::kPods, ns, {CnpgPodSelector(name), ""}));
    HS_ASSIGN_OR_RETURN(auto c, ClusterFromCnpg(client_, *cnpg, pods));
    HS_TRY(route_->Apply(&c));
    return c;
  }
  if (cnpg.status().code() != core::ErrorCode::kNotFound) {
    return cnpg.TakeStatus();
  }
  auto mariadb = client_->Get(resources::kMariaDbs, ns, name);
  if (mariadb.ok()) {
    HS_ASSIGN_OR_RETURN(auto pods,
                        client_->List(resources::kPods, ns, {MariaDbPodSelector(name), ""}));
    HS_ASSIGN_OR_RETURN(auto c, ClusterFromMariaDb(client_, *mariadb, pods));
    HS_TRY(route_->Apply(&c));
    return c;
  }
  if (mariadb.status().code() != core::ErrorCode::kNotFound) {
    return mariadb.TakeStatus();
  }
  std::string known;
  if (auto all = ClustersIn(ns); all.ok()) {
    for (const auto& c : *all) {
      known += (known.empty() ? "" : ", ") + c.name + " (" + EngineKindName(c.engine) + ")";
    }
  }
  return core::NotFound(
      "no CloudNativePG Cluster or MariaDB named '" + name + "' in namespace '" + ns + "'",
      "clusters in '" + ns + "': " + (known.empty() ? std::string("none") : known) +
          "; check -n/-c and the kubeconfig context");
}

core::Result<std::unique_ptr<InstanceHandle>> KubernetesPlatform::OpenInstance(const Cluster& c,
                                                                               const Instance& i) {
  // Routed again here: the cluster may come from another platform object (the operator keeps
  // clusters across discoveries), whose port-forwards are gone with it.
  Cluster routed = c;
  HS_TRY(route_->Apply(&routed));
  Cluster single = c;
  single.instances = {i};
  HS_TRY(route_->Apply(&single));
  return std::unique_ptr<InstanceHandle>(
      std::make_unique<PodInstance>(client_, std::move(routed), single.instances.front(), route_));
}

core::Result<std::unique_ptr<LeaderElection>> KubernetesPlatform::OpenLeaderElection(
    const LeaderElectionSettings& settings) {
  HS_TRY(settings.Validate());
  return std::unique_ptr<LeaderElection>(std::make_unique<LeaseElection>(
      client_, ResolveLeaseSettings(settings, env_, client_->config().ns),
      core::SystemClock::Get()));
}

core::Result<std::unique_ptr<OperatorResources>> KubernetesPlatform::OpenOperatorResources() {
  return std::unique_ptr<OperatorResources>(
      std::make_unique<KubeOperatorResources>(client_, env_("POD_NAME").value_or("")));
}

core::Result<std::unique_ptr<OperatorSwitchover>> KubernetesPlatform::OpenOperatorSwitchover(
    const Cluster& c) {
  return OpenOperatorPrimary(client_, c);
}

core::Result<std::unique_ptr<OperatorRestoreStop>> KubernetesPlatform::OpenOperatorRestoreStop(
    const Cluster& c) {
  auto op = c.options.find(kOperatorOption);
  if (op == c.options.end() || op->second != kMariaDbOperator || c.engine == EngineKind::kGalera) {
    return std::unique_ptr<OperatorRestoreStop>();
  }
  HS_ASSIGN_OR_RETURN(std::string held,
                      MariaDbPodScaling(*client_, c.ns, c.name, c.name + "-0").HeldFor());
  return std::unique_ptr<OperatorRestoreStop>(
      std::make_unique<MariaDbRestoreStop>(client_, c, !held.empty()));
}

}  // namespace hasteward::platform::kubernetes
