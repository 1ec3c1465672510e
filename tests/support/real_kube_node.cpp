#include "support/real_kube_node.h"

#include <chrono>

#include "platform/kubernetes/kube_config.h"

namespace hasteward::testing {

namespace k8s = platform::kubernetes;
using nlohmann::json;

namespace {

// The kubelet's report of `pod`'s containers, each ready as `ready` says.
json ContainerStatuses(const json& pod, bool ready) {
  json out = json::array();
  for (const auto& container : pod.value("/spec/containers"_json_pointer, json::array())) {
    out.push_back({{"name", container.value("name", "")},
                   {"ready", ready},
                   {"restartCount", 0},
                   {"image", container.value("image", "")},
                   {"imageID", ""},
                   {"started", true},
                   {"state", {{"running", json::object()}}}});
  }
  return out;
}

}  // namespace

core::Result<std::unique_ptr<RealKubeNode>> RealKubeNode::Start(const RealKubeApi& api,
                                                                const std::string& name,
                                                                KubeletAgentOptions agent_options) {
  std::unique_ptr<RealKubeNode> node(new RealKubeNode(api, name));
  agent_options.pki = api.pki();
  HS_ASSIGN_OR_RETURN(node->agent_, KubeletAgent::Start(std::move(agent_options)));
  HS_ASSIGN_OR_RETURN(k8s::KubeConfig admin, k8s::LoadKubeconfig(api.admin_kubeconfig()));
  node->admin_ = std::make_unique<k8s::KubeClient>(admin);
  HS_TRY(node->Register());
  // The kubelet's view: every pod (it confirms deletions of its own; the scheduler sees the
  // unbound ones).
  node->watch_ = std::make_unique<k8s::ResourceWatch>(*node->admin_, k8s::resources::kPods, "",
                                                      k8s::ListOptions{});
  node->kubelet_ = std::thread([raw = node.get()] { raw->KubeletLoop(); });
  return node;
}

core::Result<std::unique_ptr<RealKubeCluster>> RealKubeCluster::Start() {
  auto cluster = std::make_unique<RealKubeCluster>();
  HS_ASSIGN_OR_RETURN(cluster->api, RealKubeApi::Start());
  HS_ASSIGN_OR_RETURN(cluster->node, RealKubeNode::Start(*cluster->api, "node-1"));
  return cluster;
}

core::Status RealKubeNode::Register() {
  HS_TRY(api_.Create(json{{"apiVersion", "v1"},
                          {"kind", "Node"},
                          {"metadata", {{"name", name_}}},
                          {"spec", json::object()}})
             .status());
  // The status a kubelet reports: where the API server finds it.
  const json status = {
      {"status",
       {{"addresses", json::array({{{"type", "InternalIP"}, {"address", "127.0.0.1"}},
                                   {{"type", "Hostname"}, {"address", name_}}})},
        {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", agent_->port()}}}}},
        {"conditions", json::array({{{"type", "Ready"},
                                     {"status", "True"},
                                     {"reason", "KubeletReady"},
                                     {"message", "test node agent"}}})}}}};
  CmdResult patched = api_.Kubectl(
      {"patch", "node", name_, "--subresource=status", "--type=merge", "-p", status.dump()});
  if (patched.exit_code != 0) {
    return core::Internal("patch node status: " + patched.err);
  }
  return core::Status::Ok();
}

RealKubeNode::~RealKubeNode() {
  stopping_ = true;
  if (watch_) {
    watch_->Stop();
  }
  if (kubelet_.joinable()) {
    kubelet_.join();
  }
}

void RealKubeNode::SetPodHooks(PodHooks hooks) {
  std::lock_guard lock(hooks_mu_);
  hooks_ = std::move(hooks);
}

void RunWatchLoop(k8s::ResourceWatch& watch, const std::atomic<bool>& stop,
                  const std::function<void(const json& object, bool deleted)>& on_object) {
  while (!stop) {
    auto event = watch.Next();
    if (!event.ok()) {
      // A broken stream resumes from the last version on the next call (after a pause, so a
      // server that is gone is not hammered); a stopped watch ends the loop.
      if (!stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    if (event->type == k8s::WatchEventType::kSynced) {
      for (const auto& object : event->object.value("items", json::array())) {
        on_object(object, false);
      }
    } else {
      on_object(event->object, event->type == k8s::WatchEventType::kDeleted);
    }
  }
}

void RealKubeNode::KubeletLoop() {
  RunWatchLoop(*watch_, stopping_,
               [this](const json& pod, bool deleted) { OnPodEvent(pod, deleted); });
}

void RealKubeNode::OnPodEvent(const json& pod, bool deleted) {
  std::lock_guard lock(hooks_mu_);
  if (deleted) {
    if (hooks_.deleted) {
      hooks_.deleted(pod);
    }
    return;
  }
  const std::string node = pod.value("/spec/nodeName"_json_pointer, std::string());
  if (pod.contains("/metadata/deletionTimestamp"_json_pointer)) {
    // Graceful deletion waits for the kubelet: its containers stop, then it confirms.
    if (node == name_) {
      if (hooks_.terminating) {
        hooks_.terminating(pod);
      }
      (void)ConfirmDeletion(pod.value("/metadata/namespace"_json_pointer, std::string()),
                            pod.value("/metadata/name"_json_pointer, std::string()));
    }
    return;
  }
  if (node.empty() && hooks_.unscheduled) {
    hooks_.unscheduled(pod);
  }
}

core::Status RealKubeNode::ConfirmDeletion(const std::string& ns, const std::string& pod) const {
  // As the kubelet does: grace 0, and only the object it saw (a StatefulSet re-creates the name).
  HS_ASSIGN_OR_RETURN(json current, admin_->Get(k8s::resources::kPods, ns, pod));
  const json options = {
      {"apiVersion", "v1"},
      {"kind", "DeleteOptions"},
      {"gracePeriodSeconds", 0},
      {"preconditions", {{"uid", current.value("/metadata/uid"_json_pointer, std::string())}}}};
  HS_ASSIGN_OR_RETURN(
      k8s::KubeResponse response,
      admin_->Request("DELETE", k8s::ResourcePath(k8s::resources::kPods, ns, pod), options.dump()));
  if (response.code >= 300 && response.code != 404 && response.code != 409) {
    return k8s::ApiError(response, "confirm the deletion of pod '" + ns + "/" + pod + "'");
  }
  return core::Status::Ok();
}

core::Status RealKubeNode::PatchStatus(const std::string& ns, const std::string& pod,
                                       const json& status) const {
  return admin_
      ->Patch(k8s::resources::kPods, ns, pod, k8s::PatchType::kMerge, {{"status", status}},
              "status")
      .status();
}

core::Status RealKubeNode::RunPod(const std::string& ns, const std::string& pod,
                                  FakePodExecutor executor, bool ready,
                                  const std::string& address) {
  HS_ASSIGN_OR_RETURN(json current, admin_->Get(k8s::resources::kPods, ns, pod));
  if (current.value("/spec/nodeName"_json_pointer, std::string()).empty()) {
    // The scheduler's decision: a Binding to this node.
    const json binding = {{"apiVersion", "v1"},
                          {"kind", "Binding"},
                          {"metadata", {{"name", pod}, {"namespace", ns}}},
                          {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", name_}}}};
    HS_ASSIGN_OR_RETURN(
        k8s::KubeResponse bound,
        admin_->Request("POST", k8s::ResourcePath(k8s::resources::kPods, ns, pod, "binding"),
                        binding.dump()));
    if (bound.code >= 300) {
      return k8s::ApiError(bound, "bind pod '" + ns + "/" + pod + "' to node " + name_);
    }
  }
  // Exec and port-forward work before the pod reports Running, as on a real node.
  agent_->SetPodAddress(ns, pod, address);
  if (executor) {
    agent_->SetPodExecutor(ns, pod, std::move(executor));
  }
  return PatchStatus(
      ns, pod,
      {{"phase", "Running"},
       {"podIP", address},
       {"podIPs", json::array({{{"ip", address}}})},
       {"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})},
       {"containerStatuses", ContainerStatuses(current, ready)}});
}

core::Status RealKubeNode::SetReady(const std::string& ns, const std::string& pod, bool ready) {
  HS_ASSIGN_OR_RETURN(json current, admin_->Get(k8s::resources::kPods, ns, pod));
  return PatchStatus(
      ns, pod,
      {{"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})},
       {"containerStatuses", ContainerStatuses(current, ready)}});
}

core::Result<json> RealKubeNode::CreatePod(json pod, FakePodExecutor executor, bool ready,
                                           const std::string& address) {
  const std::string ns = pod.value("/metadata/namespace"_json_pointer, std::string("default"));
  const std::string name = pod.value("/metadata/name"_json_pointer, std::string());
  pod["spec"]["nodeName"] = name_;
  pod.erase("status");  // the kubelet's to write
  HS_ASSIGN_OR_RETURN(json created, admin_->Create(k8s::resources::kPods, ns, pod));
  HS_TRY(RunPod(ns, name, std::move(executor), ready, address));
  return created;
}

core::Result<json> RealKubeNode::AddPod(const std::string& ns, const std::string& pod,
                                        const std::vector<std::string>& containers,
                                        const json& labels, const std::string& address,
                                        FakePodExecutor executor) {
  json specs = json::array();
  for (const auto& container : containers) {
    specs.push_back({{"name", container}, {"image", "localhost/" + container + ":test"}});
  }
  return CreatePod({{"apiVersion", "v1"},
                    {"kind", "Pod"},
                    {"metadata", {{"name", pod}, {"namespace", ns}, {"labels", labels}}},
                    {"spec", {{"containers", specs}}}},
                   std::move(executor), /*ready=*/true, address);
}

}  // namespace hasteward::testing
