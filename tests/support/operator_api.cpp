#include "support/operator_api.h"

#include <utility>

#include "support/deploy_manifests.h"

namespace hasteward::testing {

core::Result<OperatorApi> OperatorApi::Start(const std::string& rbac_path,
                                             const std::string& kubeconfig_namespace,
                                             const std::vector<std::string>& secret_namespaces,
                                             int listen_fd) {
  OperatorApi made;
  HS_ASSIGN_OR_RETURN(std::string rbac, WriteDeployRbacFile(rbac_path, secret_namespaces));
  FakeKubeApiOptions options;
  options.rbac_file = rbac;
  options.listen_fd = listen_fd;
  HS_ASSIGN_OR_RETURN(made.api_, FakeKubeApi::Start(options));
  made.api_->AddServiceAccountToken(kOperatorToken, kDeployNamespace, kDeployServiceAccount);
  HS_ASSIGN_OR_RETURN(std::string kubeconfig,
                      made.api_->WriteKubeconfig(kOperatorToken, kubeconfig_namespace));
  made.env_ = {
      {"KUBECONFIG", kubeconfig}, {"POD_NAME", "hasteward-0"}, {"POD_NAMESPACE", kDeployNamespace}};
  return made;
}

core::Result<std::string> OperatorApi::AdminKubeconfig() const {
  return api_->WriteKubeconfig(api_->admin_token());
}

}  // namespace hasteward::testing
