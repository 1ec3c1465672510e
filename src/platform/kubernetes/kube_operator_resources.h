// The kubernetes platform's OperatorResources: the cluster-scoped BackupPolicy,
// BackupRepository and StandbyCluster custom resources (deploy/crds), listed through the API and
// watched (one ResourceWatch per kind through ClusterChangeWatch, which resumes from the last
// resourceVersion and relists on 410 Expired), the Secrets a BackupRepository references read by
// name (get only, as the secret-reader Role grants), and status written through the status
// subresource with a JSON merge patch, so the spec and its generation are never touched.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "platform/cluster_change_feed.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/operator_resources.h"

namespace hasteward::platform::kubernetes {

class KubeOperatorResources : public OperatorResources {
 public:
  // Starts watching every kind. `client` must be usable from several threads. Events name
  // `reporting_instance` (the operator pod, $POD_NAME; may be empty) as their reporter.
  KubeOperatorResources(std::shared_ptr<const KubeClient> client, std::string reporting_instance);
  ~KubeOperatorResources() override;

  core::Result<std::vector<OperatorResource>> List(OperatorResourceKind kind) override;
  bool TakeChange() override;
  core::Result<std::map<std::string, std::string>> ReadSecret(const std::string& ns,
                                                              const std::string& name) override;
  core::Status WriteStatus(OperatorResourceKind kind, const std::string& name,
                           const nlohmann::json& status) override;
  // An Event in namespace "default" (resource_events.h), naming the uid the last List saw.
  core::Status RecordEvent(OperatorResourceKind kind, const std::string& name,
                           const ClusterEvent& event) override;

 private:
  std::shared_ptr<const KubeClient> client_;
  std::string reporting_instance_;
  std::unique_ptr<ClusterChangeFeed> feed_;
  std::mutex mu_;
  std::map<std::string, std::string> uids_;  // "Kind/name" -> metadata.uid, from the last List
};

// The API resource of `kind`.
const KubeResource& ResourceOf(OperatorResourceKind kind);

// One item of a BackupPolicy/BackupRepository list as an OperatorResource.
OperatorResource OperatorResourceFromObject(OperatorResourceKind kind,
                                            const nlohmann::json& object);

}  // namespace hasteward::platform::kubernetes
