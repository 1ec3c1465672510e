// The start of the Kubernetes client tests that need only an API server: a real kube-apiserver and
// etcd (RealKubeApi, issue 50) and a KubeClient holding the cluster admin's client certificate.
// One server per test process (ctest runs each test in its own). Header-only (gtest assertions
// in a fixture), so only its users compile it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kube_config.h"
#include "support/command.h"
#include "support/real_kube_api.h"
#include "support/real_kube_node.h"
#include "support/source_dir.h"

namespace hasteward::testing {

class RealKubeAdminTest : public ::testing::Test {
 protected:
  // Call as ASSERT_NO_FATAL_FAILURE(StartApi()): a server that does not start fails the test.
  // `namespaces` are created first (a real server refuses objects in a namespace that does not
  // exist).
  void StartApi(const std::vector<std::string>& namespaces = {}) { StartApiWith({}, namespaces); }
  // StartApi with flags added to the servers' own.
  void StartApiWith(RealKubeApiOptions options, const std::vector<std::string>& namespaces) {
    auto started = RealKubeApi::StartWith(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    api_ = std::move(started).value();
    auto config = platform::kubernetes::LoadKubeconfig(api_->admin_kubeconfig());
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    client_ = std::make_unique<platform::kubernetes::KubeClient>(*config);
    for (const std::string& ns : namespaces) {
      core::Status created = api_->CreateNamespace(ns);
      ASSERT_TRUE(created.ok()) << created.ToString();
    }
  }

  // Serves the pinned CloudNativePG release's own CRD (clusters.postgresql.cnpg.io), waiting until
  // it is Established. Call as ASSERT_NO_FATAL_FAILURE(ServeCnpgClusters()).
  void ServeCnpgClusters() {
    auto manifests = RealKubeManifestsDir();
    ASSERT_TRUE(manifests.ok()) << manifests.status().ToString();
    core::Status applied = api_->ApplyServerSide(*manifests + "/crds/cnpg.yaml");
    ASSERT_TRUE(applied.ok()) << applied.ToString();
    CmdResult established = api_->Kubectl({"wait", "--for=condition=Established", "--timeout=60s",
                                           "crd/clusters.postgresql.cnpg.io"});
    ASSERT_EQ(established.exit_code, 0) << established.err;
  }

  // deploy/ applied as users apply it (kubectl apply -k: its CRDs, namespace, ServiceAccount and
  // RBAC), the secret reader bound in each of `database_namespaces` as deploy/examples shows, and
  // the CRDs Established. Call as ASSERT_NO_FATAL_FAILURE(ApplyDeploy({...})).
  void ApplyDeploy(const std::vector<std::string>& database_namespaces) {
    core::Status applied = api_->ApplyDeploy(database_namespaces);
    ASSERT_TRUE(applied.ok()) << applied.ToString();
  }

  // A client of deploy/'s operator ServiceAccount (hasteward/hasteward), default namespace `ns`.
  platform::kubernetes::KubeConfig OperatorConfig(const std::string& ns) {
    auto kubeconfig = api_->OperatorKubeconfig(ns);
    EXPECT_TRUE(kubeconfig.ok()) << kubeconfig.status().ToString();
    auto config = platform::kubernetes::LoadKubeconfig(kubeconfig.ok() ? *kubeconfig : "");
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    return config.ok() ? *config : platform::kubernetes::KubeConfig{};
  }

  // The test node "node-1" (RealKubeNode), its agent started with `agent` (exec protocols, faults).
  // Call as ASSERT_NO_FATAL_FAILURE(StartNode()) after StartApi.
  void StartNode(KubeletAgentOptions agent = {}) {
    auto node = RealKubeNode::Start(*api_, "node-1", std::move(agent));
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    node_ = std::move(node).value();
  }

  std::unique_ptr<RealKubeApi> api_;
  std::unique_ptr<platform::kubernetes::KubeClient> client_;
  std::unique_ptr<RealKubeNode> node_;  // after api_: ends first
};

}  // namespace hasteward::testing
