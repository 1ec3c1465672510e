#include "support/real_kube_node.h"

namespace hasteward::testing {

using nlohmann::json;

core::Result<std::unique_ptr<RealKubeNode>> RealKubeNode::Start(const RealKubeApi& api,
                                                                const std::string& name) {
  std::unique_ptr<RealKubeNode> node(new RealKubeNode(api, name));
  FakeKubeApiOptions options;
  options.pki = api.pki();
  HS_ASSIGN_OR_RETURN(node->agent_, FakeKubeApi::Start(options));
  HS_TRY(node->Register());
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

core::Result<json> RealKubeNode::AddPod(const std::string& ns, const std::string& pod,
                                        const std::vector<std::string>& containers,
                                        const json& labels, const std::string& address,
                                        FakePodExecutor executor) {
  json specs = json::array();
  for (const auto& container : containers) {
    specs.push_back({{"name", container}, {"image", "localhost/" + container + ":test"}});
  }
  HS_ASSIGN_OR_RETURN(
      json created,
      api_.Create(json{{"apiVersion", "v1"},
                       {"kind", "Pod"},
                       {"metadata", {{"name", pod}, {"namespace", ns}, {"labels", labels}}},
                       {"spec", {{"nodeName", name_}, {"containers", specs}}}}));
  json container_statuses = json::array();
  for (const auto& container : containers) {
    container_statuses.push_back({{"name", container},
                                  {"ready", true},
                                  {"restartCount", 0},
                                  {"image", "localhost/" + container + ":test"},
                                  {"imageID", ""},
                                  {"state", {{"running", json::object()}}}});
  }
  const json status = {{"status",
                        {{"phase", "Running"},
                         {"podIP", address},
                         {"podIPs", json::array({{{"ip", address}}})},
                         {"containerStatuses", container_statuses}}}};
  CmdResult patched = api_.Kubectl(
      {"patch", "pod", pod, "-n", ns, "--subresource=status", "--type=merge", "-p", status.dump()});
  if (patched.exit_code != 0) {
    return core::Internal("patch pod status: " + patched.err);
  }
  agent_->SetKubeletPodAddress(ns, pod, address);
  if (executor) {
    agent_->SetPodExecutor(ns, pod, std::move(executor));
  }
  return created;
}

core::Result<std::unique_ptr<RealKubeNode>> RealKubeNode::StartWithAgentOptions(
    const RealKubeApi& api, const std::string& name, FakeKubeApiOptions agent_options) {
  std::unique_ptr<RealKubeNode> node(new RealKubeNode(api, name));
  agent_options.pki = api.pki();
  HS_ASSIGN_OR_RETURN(node->agent_, FakeKubeApi::Start(std::move(agent_options)));
  HS_TRY(node->Register());
  return node;
}

}  // namespace hasteward::testing
