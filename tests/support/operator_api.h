// The Kubernetes API as the operator of deploy/ meets it, for the tests that run `hasteward serve
// --platform kubernetes`: FakeKubeApi enforcing the RBAC rendered from deploy/ (secrets readable
// in the namespaces given, as an admin grants per database namespace), the operator's
// ServiceAccount token, and the variables serve reads inside its pod.
//
//   auto api = OperatorApi::Start(hs_.Path("rbac.yaml"), "db", {"db"});
//   hs_.Set(api->env());  // KUBECONFIG, POD_NAME, POD_NAMESPACE
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "support/fake_kube_api.h"

namespace hasteward::testing {

// The operator ServiceAccount's bearer token in FakeKubeApi.
inline constexpr char kOperatorToken[] = "hasteward-operator-token";

class OperatorApi {
 public:
  using EnvVars = std::map<std::string, std::string>;

  // Writes the RBAC to `rbac_path`, starts the API and registers the operator's token; the
  // kubeconfig's default namespace is `kubeconfig_namespace`.
  // `listen_fd`: FakeKubeApiOptions::listen_fd.
  static core::Result<OperatorApi> Start(const std::string& rbac_path,
                                         const std::string& kubeconfig_namespace,
                                         const std::vector<std::string>& secret_namespaces,
                                         int listen_fd = -1);

  FakeKubeApi& api() { return *api_; }
  // KUBECONFIG (the operator's ServiceAccount), POD_NAME and POD_NAMESPACE.
  const EnvVars& env() const { return env_; }
  // A kubeconfig of the cluster's admin (RBAC does not apply): the test's own `kubectl`.
  core::Result<std::string> AdminKubeconfig() const;

 private:
  OperatorApi() = default;
  std::unique_ptr<FakeKubeApi> api_;
  EnvVars env_;
};

}  // namespace hasteward::testing
