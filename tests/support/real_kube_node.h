// RealKubeNode: a node registered with a RealKubeApi whose "kubelet" is FakeKubeApi's kubelet
// routes (fake_kubelet_routes.cpp): the real API server proxies pod exec and port-forward to it as
// to a kubelet (its address and port in the Node's status), so every byte of a test's exec and
// port-forward passes the real server's routing, authentication, authorization and protocol
// translation. Pods are real objects bound to the node; their commands run as local processes
// (a FakePodExecutor) and their ports are local addresses. Nothing runs containers: that is
// issue 51's real node.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "support/fake_kube_api.h"
#include "support/real_kube_api.h"

namespace hasteward::testing {

class RealKubeNode;

// A real API server with one test node ("node-1"): what each real-Kubernetes test binary starts
// once (SetUpTestSuite).
struct RealKubeCluster {
  std::unique_ptr<RealKubeApi> api;
  std::unique_ptr<RealKubeNode> node;
  static core::Result<std::unique_ptr<RealKubeCluster>> Start();
};

class RealKubeNode {
 public:
  // Starts the agent on 127.0.0.1 with certificates of `api`'s authority and registers the Node
  // `name` (Ready, InternalIP 127.0.0.1, the agent's port as its kubelet endpoint).
  static core::Result<std::unique_ptr<RealKubeNode>> Start(const RealKubeApi& api,
                                                           const std::string& name);

  const std::string& name() const { return name_; }
  FakeKubeApi& agent() { return *agent_; }

  // Creates pod `ns/pod` with `labels`, bound to this node with `containers` (names), Running
  // with `address` as its pod IP; its commands run as `executor` says (as given when unset).
  core::Result<nlohmann::json> AddPod(const std::string& ns, const std::string& pod,
                                      const std::vector<std::string>& containers,
                                      const nlohmann::json& labels = nlohmann::json::object(),
                                      const std::string& address = "127.0.0.1",
                                      FakePodExecutor executor = {});

  // Start with the agent's own options (its exec subprotocols, the faults it injects); their
  // `pki` is `api`'s.
  static core::Result<std::unique_ptr<RealKubeNode>> StartWithAgentOptions(
      const RealKubeApi& api, const std::string& name, FakeKubeApiOptions agent_options);

 private:
  RealKubeNode(const RealKubeApi& api, std::string name) : api_(api), name_(std::move(name)) {}
  core::Status Register();

  const RealKubeApi& api_;
  std::string name_;
  std::unique_ptr<FakeKubeApi> agent_;
};

}  // namespace hasteward::testing
