#include "support/operator_api.h"

#include <utility>

#include "support/deploy_manifests.h"
#include "support/real_kube_audit.h"
#include "support/real_kube_operators.h"

namespace hasteward::testing {

core::Result<OperatorApi> OperatorApi::Start(const std::string& kubeconfig_namespace,
                                             const std::vector<std::string>& database_namespaces) {
  OperatorApi made;
  HS_ASSIGN_OR_RETURN(made.cluster_, RealKubeCluster::Start());
  RealKubeApi& api = *made.cluster_->api;
  std::set<std::string> namespaces(database_namespaces.begin(), database_namespaces.end());
  namespaces.insert(kubeconfig_namespace);
  namespaces.erase(kDeployNamespace);  // deploy/ makes its own
  for (const std::string& ns : namespaces) {
    HS_TRY(api.CreateNamespace(ns));
  }
  HS_TRY(ServeOperatorCrds(api));
  HS_TRY(api.ApplyDeploy(database_namespaces));
  HS_ASSIGN_OR_RETURN(std::string kubeconfig, api.OperatorKubeconfig(kubeconfig_namespace));
  made.env_ = {
      {"KUBECONFIG", kubeconfig}, {"POD_NAME", "hasteward-0"}, {"POD_NAMESPACE", kDeployNamespace}};
  return made;
}

std::string OperatorUser() {
  return std::string("system:serviceaccount:") + kDeployNamespace + ":" + kDeployServiceAccount;
}

std::vector<AuditedRequest> OperatorApi::OperatorRequests() const {
  return RequestsBy(
      cluster_->api->AuditEvents(),
      std::string("system:serviceaccount:") + kDeployNamespace + ":" + kDeployServiceAccount);
}

std::set<std::string> OperatorApi::OperatorGrantsUsed() const {
  std::set<std::string> used;
  for (const AuditedRequest& request : OperatorRequests()) {
    if (request.code < 400) {
      used.insert(request.needed.Text());
    }
  }
  return used;
}

int OperatorApi::AllowedOperatorRequests(const std::string& resource, int at_least) const {
  return AllowedRequests(*cluster_->api, OperatorUser(), resource, at_least);
}

}  // namespace hasteward::testing
