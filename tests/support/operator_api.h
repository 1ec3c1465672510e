// The Kubernetes API as the operator of deploy/ meets it, for the tests that run `hasteward serve
// --platform kubernetes` or the CLI through the API: a real kube-apiserver and etcd with one test
// node (RealKubeCluster), the pinned operators' CRDs, deploy/ applied as users apply it (secrets
// readable in the namespaces given, as an admin grants per database namespace), a token of the
// operator's ServiceAccount, and the variables serve reads inside its pod.
//
//   auto api = OperatorApi::Start("db", {"db"});
//   hs_.Set(api->env());  // KUBECONFIG, POD_NAME, POD_NAMESPACE
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "support/real_kube_api.h"
#include "support/real_kube_audit.h"
#include "support/real_kube_node.h"

namespace hasteward::testing {

// The audit log's user name of deploy/'s operator ServiceAccount.
std::string OperatorUser();

class OperatorApi {
 public:
  using EnvVars = std::map<std::string, std::string>;

  // Starts the server and its node, creates `database_namespaces` (and `kubeconfig_namespace`),
  // serves the operators' CRDs, applies deploy/ with the secret reader bound in each database
  // namespace, and writes the operator's kubeconfig (default namespace `kubeconfig_namespace`).
  static core::Result<OperatorApi> Start(const std::string& kubeconfig_namespace,
                                         const std::vector<std::string>& database_namespaces);

  RealKubeApi& api() { return *cluster_->api; }
  RealKubeNode& node() { return *cluster_->node; }
  // The cluster admin's client (system:masters): the test's own reads and writes.
  const platform::kubernetes::KubeClient& admin() const { return cluster_->node->admin(); }
  // KUBECONFIG (the operator's ServiceAccount), POD_NAME and POD_NAMESPACE.
  const EnvVars& env() const { return env_; }
  // A kubeconfig of the cluster's admin (RBAC does not apply): the test's own `kubectl`.
  std::string AdminKubeconfig() const { return cluster_->api->admin_kubeconfig(); }
  // Requests of the operator's ServiceAccount in the server's audit log, as "verb resource"
  // ("get secrets", "create pods/exec", "patch postgresql.cnpg.io/clusters").
  std::set<std::string> OperatorGrantsUsed() const;
  // Every request of the operator's ServiceAccount in the audit log, in order.
  std::vector<AuditedRequest> OperatorRequests() const;
  // How many requests of the operator's ServiceAccount on `resource` ("pods/portforward",
  // "secrets") the server allowed, polled for up to 10 s until there is at least `at_least` (a
  // stream is logged when it ends).
  int AllowedOperatorRequests(const std::string& resource, int at_least = 1) const;

 private:
  OperatorApi() = default;
  std::unique_ptr<RealKubeCluster> cluster_;
  EnvVars env_;
};

}  // namespace hasteward::testing
