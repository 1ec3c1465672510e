// The platform conformance suite against the kubernetes platform: a real kube-apiserver (deploy/
// applied as users apply it) serving a CloudNativePG Cluster whose pod, on the test node, is a
// real PostgreSQL sandbox instance (fenced and unfenced by FakeCnpgInstanceManager as CNPG's
// instance manager does), opened through the registry with KUBECONFIG holding the operator's
// ServiceAccount token, as `hasteward --platform kubernetes` opens it.
#include <cstdlib>

#include "core/os_user.h"
#include "platform/platform_conformance.h"
#include "platform/registry.h"
#include "support/fake_cnpg_instance_manager.h"
#include "support/fake_kube_operators.h"
#include "support/operator_api.h"
#include "support/real_kube_operators.h"
#include "support/sandbox_cluster.h"

namespace hasteward::platform::testing {
namespace {

using hasteward::testing::OperatorApi;

class KubernetesFixture : public PlatformFixture {
 public:
  static core::Result<std::unique_ptr<PlatformFixture>> Make() {
    hasteward::testing::SandboxCluster::Options o;
    o.engine = EngineKind::kPostgres;
    o.instances = 1;
    o.name = "conformance";
    std::unique_ptr<KubernetesFixture> f(new KubernetesFixture());
    HS_ASSIGN_OR_RETURN(f->sandbox_, hasteward::testing::SandboxCluster::Create(o));
    const std::string ns = hasteward::testing::kPlatformNamespace;
    HS_ASSIGN_OR_RETURN(OperatorApi api, OperatorApi::Start(ns, {ns}));
    f->api_ = std::make_unique<OperatorApi>(std::move(api));
    HS_TRY(hasteward::testing::PublishSandboxAsCnpg(f->api_->node(), *f->sandbox_, ns));
    // Stop/Start/Fence go through CNPG's fencing, which its instance manager honours.
    HS_ASSIGN_OR_RETURN(f->instance_manager_, hasteward::testing::FakeCnpgInstanceManager::Start(
                                                  f->api_->node(), *f->sandbox_, ns));
    // The registry reads the kubeconfig location from the environment, as the binary does.
    ::setenv("KUBECONFIG", f->api_->env().at("KUBECONFIG").c_str(), 1);
    PlatformOptions where;
    where.name = "kubernetes";
    HS_ASSIGN_OR_RETURN(f->platform_, OpenPlatform(where));
    HS_ASSIGN_OR_RETURN(f->cluster_,
                        f->platform_->FindCluster(hasteward::testing::kPlatformNamespace, o.name));
    return std::unique_ptr<PlatformFixture>(std::move(f));
  }

  Platform& platform() override { return *platform_; }
  const Cluster& cluster() const override { return cluster_; }
  std::string expected_os_user() const override {
    const std::string& os_user = sandbox_->instance(0).os_user;
    return core::RunningAsRoot() && !os_user.empty() ? os_user : core::CurrentOsUser().name;
  }

 private:
  KubernetesFixture() = default;
  std::unique_ptr<hasteward::testing::SandboxCluster> sandbox_;
  std::unique_ptr<OperatorApi> api_;
  std::unique_ptr<hasteward::testing::FakeCnpgInstanceManager> instance_manager_;
  std::unique_ptr<Platform> platform_;
  Cluster cluster_;
};

PlatformFactory KubernetesFactory() {
  return PlatformFactory{"kubernetes",
                         {Capability::kCanStartStop, Capability::kOperatorOwnsLifecycle},
                         &KubernetesFixture::Make,
                         "cloudnative-pg"};
}

INSTANTIATE_TEST_SUITE_P(Kubernetes, PlatformConformanceTest,
                         ::testing::Values(KubernetesFactory()), PlatformFactoryName);

}  // namespace
}  // namespace hasteward::platform::testing
