// The "kubernetes" platform: clusters are CloudNativePG Cluster and mariadb-operator MariaDB
// resources (operator_discovery.h), instances are their pods (pod_instance.h). The API server
// and credentials come from $KUBECONFIG, ~/.kube/config or the in-cluster service account. SQL
// sessions and client tools reach the pods through the API server's port-forward or over the pod
// network (instance_route.h), so engines connect to whatever host/port an instance carries.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "platform/kubernetes/instance_route.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kube_config.h"
#include "platform/operator_restore.h"
#include "platform/platform.h"

namespace hasteward::platform::kubernetes {

class KubernetesPlatform : public Platform {
 public:
  // kUsage/kNotFound from the configuration when no API server is configured, kUsage for an
  // unknown $HASTEWARD_KUBE_CONNECT (instance_route.h: how instances are reached).
  static core::Result<std::unique_ptr<KubernetesPlatform>> Open(const EnvLookup& env);
  // Reaches instances over the pod network for an in-cluster configuration, else through the API
  // server (the default of ResolveKubeConnectMode without the variable).
  explicit KubernetesPlatform(KubeConfig config, EnvLookup env = ProcessEnv());
  KubernetesPlatform(KubeConfig config, EnvLookup env, KubeConnectMode mode);

  std::string name() const override { return "kubernetes"; }
  // What ListIn takes for every namespace the account may list (the API's cluster-wide list).
  static constexpr char kAllNamespaces[] = "";
  // The namespace ListClusters and WatchClusters read from now on (kAllNamespaces: every one);
  // the configuration's namespace until then.
  void ListIn(std::string ns) { listing_ns_ = std::move(ns); }
  // Clusters of both operators in the listing namespace (ListIn), each with the pods of its own.
  core::Result<std::vector<Cluster>> ListClusters() override;
  // A CNPG Cluster named `name` in `ns`, else a MariaDB; kNotFound listing the namespace's
  // clusters otherwise.
  core::Result<Cluster> FindCluster(const std::string& ns, const std::string& name) override;
  core::Result<std::unique_ptr<InstanceHandle>> OpenInstance(const Cluster& c,
                                                             const Instance& i) override;
  // A ClusterChangeWatch (cluster_change_watch.h) on both CR kinds in the listing namespace, the
  // one ListClusters reads.
  core::Result<std::unique_ptr<ClusterChangeFeed>> WatchClusters() override;
  // A core/v1 Event on the cluster's CR (cluster_events.h), reported as $POD_NAME.
  core::Status RecordEvent(const Cluster& cluster, const ClusterEvent& event) override;
  // A LeaseElection (lease_election.h) in the settings' namespace, else $POD_NAMESPACE, else the
  // configuration's namespace.
  core::Result<std::unique_ptr<LeaderElection>> OpenLeaderElection(
      const LeaderElectionSettings& settings) override;
  // The cluster-scoped BackupPolicy/BackupRepository resources (kube_operator_resources.h).
  core::Result<std::unique_ptr<OperatorResources>> OpenOperatorResources() override;
  // The operator owns every pod's lifecycle here: a switchover is its own (operator_primary.h).
  core::Result<std::unique_ptr<OperatorSwitchover>> OpenOperatorSwitchover(
      const Cluster& c) override;
  // The stop a native restore needs (operator_restore.h): a mariadb-operator replication
  // cluster's (mariadb_restore_stop.h); nullptr for CloudNativePG (the user fences the target)
  // and for Galera (with every node scaled away a Galera cluster must be bootstrapped again,
  // which only the operator's recovery does: its native restore is refused).
  core::Result<std::unique_ptr<OperatorRestoreStop>> OpenOperatorRestoreStop(const Cluster& c);

 private:
  core::Result<std::vector<Cluster>> ClustersIn(const std::string& ns);
  std::shared_ptr<const KubeClient> client_;
  EnvLookup env_;
  std::string listing_ns_;  // ListIn's; the configuration's namespace by default
  // Shared with the instance handles it opens: their port-forwards outlive neither.
  std::shared_ptr<InstanceRoute> route_;
};

}  // namespace hasteward::platform::kubernetes
