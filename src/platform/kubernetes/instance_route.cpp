#include "platform/kubernetes/instance_route.h"

#include <map>
#include <mutex>

#include "platform/kubernetes/operator_discovery.h"
#include "platform/kubernetes/port_forwarder.h"
#include "platform/peer_address.h"

namespace hasteward::platform::kubernetes {
namespace {

// The pods' IPs as discovery found them: nothing to change.
class PodNetworkRoute : public InstanceRoute {
 public:
  core::Status Apply(Cluster* cluster) override {
    for (Instance& instance : cluster->instances) {
      if (HasPeerAddress(instance)) {  // routed through an API server before: back to the pod
        instance.host = PeerHost(instance);
        instance.port = PeerPort(instance);
        ClearPeerAddress(instance);
      }
    }
    return core::Status::Ok();
  }
};

// One PortForwarder per pod port, kept as long as the route (the platform and the handles it
// opened share it); each connection to it is its own port-forward session.
class ApiServerRoute : public InstanceRoute {
 public:
  explicit ApiServerRoute(std::shared_ptr<const KubeClient> client) : client_(std::move(client)) {}

  core::Status Apply(Cluster* cluster) override {
    for (Instance& instance : cluster->instances) {
      const auto pod = instance.labels.find(kPodLabel);
      const int pod_port = PeerPort(instance);
      if (pod == instance.labels.end() || pod_port <= 0) {
        continue;  // not a pod's TCP port (nothing to forward)
      }
      HS_ASSIGN_OR_RETURN(PortForwarder * forwarder,
                          ForwarderFor({cluster->ns, pod->second, pod_port}));
      SetPeerAddress(instance, PeerHost(instance), pod_port);
      instance.host = forwarder->host();
      instance.port = forwarder->port();
    }
    return core::Status::Ok();
  }

 private:
  core::Result<PortForwarder*> ForwarderFor(const PortForwardTarget& target) {
    const std::string key = target.ns + "/" + target.pod + ":" + std::to_string(target.port);
    std::lock_guard lock(mu_);
    auto found = forwarders_.find(key);
    if (found != forwarders_.end()) {
      return found->second.get();
    }
    HS_ASSIGN_OR_RETURN(auto forwarder, PortForwarder::Start(*client_, target));
    PortForwarder* raw = forwarder.get();
    forwarders_.emplace(key, std::move(forwarder));
    return raw;
  }

  std::shared_ptr<const KubeClient> client_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<PortForwarder>> forwarders_;
};

}  // namespace

core::Result<KubeConnectMode> ParseKubeConnectMode(const std::string& text) {
  if (text == "api-server") {
    return KubeConnectMode::kApiServer;
  }
  if (text == "pod-network") {
    return KubeConnectMode::kPodNetwork;
  }
  return core::Usage("unknown kubernetes connection mode '" + text + "'",
                     std::string("set ") + kKubeConnectEnv + " to api-server or pod-network");
}

const char* KubeConnectModeName(KubeConnectMode mode) {
  return mode == KubeConnectMode::kApiServer ? "api-server" : "pod-network";
}

core::Result<KubeConnectMode> ResolveKubeConnectMode(const EnvLookup& env,
                                                     const KubeConfig& config) {
  if (auto text = env(kKubeConnectEnv); text && !text->empty()) {
    return ParseKubeConnectMode(*text);
  }
  return config.in_cluster ? KubeConnectMode::kPodNetwork : KubeConnectMode::kApiServer;
}

std::shared_ptr<InstanceRoute> MakeInstanceRoute(KubeConnectMode mode,
                                                 std::shared_ptr<const KubeClient> client) {
  if (mode == KubeConnectMode::kApiServer) {
    return std::make_shared<ApiServerRoute>(std::move(client));
  }
  return std::make_shared<PodNetworkRoute>();
}

}  // namespace hasteward::platform::kubernetes
