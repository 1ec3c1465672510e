// RealKubeNode: a node registered with a RealKubeApi whose "kubelet" is the test's KubeletAgent
// (kubelet_agent.h): the real API server proxies pod exec and port-forward to it as
// to a kubelet (its address and port in the Node's status), so every byte of a test's exec and
// port-forward passes the real server's routing, authentication, authorization and protocol
// translation. Pods are real objects bound to the node; their commands run as local processes
// (a FakePodExecutor) and their ports are local addresses. Nothing runs containers: that is
// issue 51's real node.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kube_watch.h"
#include "support/kubelet_agent.h"
#include "support/real_kube_api.h"

namespace hasteward::testing {

class RealKubeNode;

// Feeds every object `watch` reports to `on_object` (each item of a (re)list, each change; deleted
// true for a deletion) until `stop` is set and the watch is stopped: the loop of every emulated
// controller and of the node's kubelet.
void RunWatchLoop(platform::kubernetes::ResourceWatch& watch, const std::atomic<bool>& stop,
                  const std::function<void(const nlohmann::json& object, bool deleted)>& on_object);

// A real API server with one test node ("node-1"): what each real-Kubernetes test binary starts
// once (SetUpTestSuite).
struct RealKubeCluster {
  std::unique_ptr<RealKubeApi> api;
  std::unique_ptr<RealKubeNode> node;
  static core::Result<std::unique_ptr<RealKubeCluster>> Start();
};

class RealKubeNode {
 public:
  // What this node's kubelet (and the scheduler, which places every pod on this one node) tells
  // the test's emulated controllers. Each is called on the node's watch thread, one at a time.
  struct PodHooks {
    // A pod that no node holds yet: the hook may RunPod it here, or leave it Pending.
    std::function<void(const nlohmann::json& pod)> unscheduled;
    // A pod of this node being deleted (deletionTimestamp set): its containers stop in the hook
    // (the kubelet's SIGTERM); the kubelet then confirms the deletion.
    std::function<void(const nlohmann::json& pod)> terminating;
    // A pod gone from the API.
    std::function<void(const nlohmann::json& pod)> deleted;
  };

  // Starts the agent on 127.0.0.1 with certificates of `api`'s authority and registers the Node
  // `name` (Ready, InternalIP 127.0.0.1, the agent's port as its kubelet endpoint).
  // `agent_options`: the kubelet's exec subprotocols (its authority is `api`'s).
  static core::Result<std::unique_ptr<RealKubeNode>> Start(const RealKubeApi& api,
                                                           const std::string& name,
                                                           KubeletAgentOptions agent_options = {});

  ~RealKubeNode();
  RealKubeNode(const RealKubeNode&) = delete;
  RealKubeNode& operator=(const RealKubeNode&) = delete;

  const std::string& name() const { return name_; }
  KubeletAgent& agent() { return *agent_; }
  // The cluster admin's client (system:masters), as the node's own writes use.
  const platform::kubernetes::KubeClient& admin() const { return *admin_; }

  // Replaces the hooks; returns once no earlier hook runs any more (a controller clears them
  // before it goes away).
  void SetPodHooks(PodHooks hooks);
  // Runs existing pod `ns/pod` here: bound to this node (the scheduler's Binding) when no node
  // holds it, Running at `address`, each container ready as `ready` says, its commands run as
  // `executor` says (as given when unset).
  core::Status RunPod(const std::string& ns, const std::string& pod, FakePodExecutor executor,
                      bool ready, const std::string& address = "127.0.0.1");
  // Every container's readiness of pod `ns/pod`, as its readiness probe reports it.
  core::Status SetReady(const std::string& ns, const std::string& pod, bool ready);
  // Creates `pod` (its metadata.namespace) bound to this node, then runs it as RunPod does.
  core::Result<nlohmann::json> CreatePod(nlohmann::json pod, FakePodExecutor executor, bool ready,
                                         const std::string& address = "127.0.0.1");

  // Creates pod `ns/pod` with `labels`, bound to this node with `containers` (names), Running
  // with `address` as its pod IP; its commands run as `executor` says (as given when unset).
  core::Result<nlohmann::json> AddPod(const std::string& ns, const std::string& pod,
                                      const std::vector<std::string>& containers,
                                      const nlohmann::json& labels = nlohmann::json::object(),
                                      const std::string& address = "127.0.0.1",
                                      FakePodExecutor executor = {});

 private:
  RealKubeNode(const RealKubeApi& api, std::string name) : api_(api), name_(std::move(name)) {}
  core::Status Register();
  void KubeletLoop();
  void OnPodEvent(const nlohmann::json& pod, bool deleted);
  core::Status ConfirmDeletion(const std::string& ns, const std::string& pod) const;
  core::Status PatchStatus(const std::string& ns, const std::string& pod,
                           const nlohmann::json& status) const;

  const RealKubeApi& api_;
  std::string name_;
  std::unique_ptr<KubeletAgent> agent_;
  std::unique_ptr<platform::kubernetes::KubeClient> admin_;
  std::mutex hooks_mu_;  // held while a hook runs
  PodHooks hooks_;
  std::unique_ptr<platform::kubernetes::ResourceWatch> watch_;
  std::atomic<bool> stopping_{false};
  std::thread kubelet_;
};

}  // namespace hasteward::testing
