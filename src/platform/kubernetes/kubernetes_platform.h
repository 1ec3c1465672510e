// The "kubernetes" platform: clusters are CloudNativePG Cluster and mariadb-operator MariaDB
// resources (operator_discovery.h), instances are their pods (pod_instance.h). The API server
// and credentials come from $KUBECONFIG, ~/.kube/config or the in-cluster service account.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kube_config.h"
#include "platform/platform.h"

namespace hasteward::platform::kubernetes {

class KubernetesPlatform : public Platform {
 public:
  // kUsage/kNotFound from the configuration when no API server is configured.
  static core::Result<std::unique_ptr<KubernetesPlatform>> Open(const EnvLookup& env);
  explicit KubernetesPlatform(KubeConfig config, EnvLookup env = ProcessEnv())
      : client_(std::make_shared<const KubeClient>(std::move(config))), env_(std::move(env)) {}

  std::string name() const override { return "kubernetes"; }
  // Clusters of both operators in the configuration's namespace.
  core::Result<std::vector<Cluster>> ListClusters() override;
  // A CNPG Cluster named `name` in `ns`, else a MariaDB; kNotFound listing the namespace's
  // clusters otherwise.
  core::Result<Cluster> FindCluster(const std::string& ns, const std::string& name) override;
  core::Result<std::unique_ptr<InstanceHandle>> OpenInstance(const Cluster& c,
                                                             const Instance& i) override;
  // A ClusterChangeWatch (cluster_change_watch.h) on both CR kinds in the configuration's
  // namespace, the one ListClusters reads.
  core::Result<std::unique_ptr<ClusterChangeFeed>> WatchClusters() override;
  // A core/v1 Event on the cluster's CR (cluster_events.h), reported as $POD_NAME.
  core::Status RecordEvent(const Cluster& cluster, const ClusterEvent& event) override;
  // A LeaseElection (lease_election.h) in the settings' namespace, else $POD_NAMESPACE, else the
  // configuration's namespace.
  core::Result<std::unique_ptr<LeaderElection>> OpenLeaderElection(
      const LeaderElectionSettings& settings) override;
  // The cluster-scoped BackupPolicy/BackupRepository resources (kube_operator_resources.h).
  core::Result<std::unique_ptr<OperatorResources>> OpenOperatorResources() override;

 private:
  core::Result<std::vector<Cluster>> ClustersIn(const std::string& ns);
  std::shared_ptr<const KubeClient> client_;
  EnvLookup env_;
};

}  // namespace hasteward::platform::kubernetes
